import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { createMetrics } from '@smtp-relay/observability';
import { asIngressReply, INGRESS_REPLIES, smtpReply } from '@smtp-relay/smtp-errors';
import type { SMTPServerDataStream } from 'smtp-server';
import { createOnData } from '../src/hooks/on-data.ts';
import { DataInterruptedError, type MessageIntake } from '../src/message-intake.ts';
import { ReplyError } from '../src/reply.ts';
import {
  captureAnswers,
  capturedLogger,
  connectedSession,
  messageRejected,
  replyCounts,
  watchUnhandledRejections,
} from './hook-fixtures.ts';

// The DATA hook turns the intake's outcome into exactly one reply, a log line
// and counters (the reply counted once, with the class and reason of what was sent). Nothing it does after the intake may crash the process: a
// throw there (a logger, a metric) becomes a 4xx for this message, never an
// unhandled rejection, which the crash handler would end the process on.

/** What the intake does with the message: stores it (that size), or refuses it. */
type IntakeOutcome = { readonly size: number } | { readonly error: Error };

/** An intake that answers as scripted, without reading the stream. */
function scriptedIntake(outcome: IntakeOutcome): MessageIntake {
  return {
    accept: () =>
      'size' in outcome ? Promise.resolve(outcome.size) : Promise.reject(outcome.error),
  };
}

function dataStream(): SMTPServerDataStream {
  return Object.assign(new PassThrough(), { byteLength: 0, sizeExceeded: false });
}

interface Case {
  readonly name: string;
  readonly intake: IntakeOutcome;
  /** The log event whose line throws. */
  readonly failingEvent?: string;
  /** The one reply: code and the start of its text. */
  readonly reply: readonly [number, RegExp];
  /** The event of the line about the message, and its reason for a refusal. */
  readonly event: readonly [string, string | undefined] | undefined;
  /** Whether settle logged a handler failure. */
  readonly hookFailed: boolean;
  /** The reply counters that moved (see replyCounts). */
  readonly counts: Record<string, number>;
}

const QUEUED = { 'smtp_replies{class="2xx"}': 1 };

const CASES: readonly Case[] = [
  {
    name: 'queued: 250 queued as <id>',
    intake: { size: 1234 },
    reply: [250, /^2\.0\.0 Ok: queued as /],
    event: ['message.queued', undefined],
    hookFailed: false,
    counts: QUEUED,
  },
  {
    name: 'too big: 552',
    intake: { error: new ReplyError(INGRESS_REPLIES.messageTooBig) },
    reply: [552, /^5\.3\.4 /],
    event: ['message.noqueue', 'message-too-big'],
    hookFailed: false,
    counts: messageRejected('5xx', 'message-too-big'),
  },
  {
    name: 'store or queue unavailable: 451',
    intake: { error: new ReplyError(INGRESS_REPLIES.queueUnavailable) },
    reply: [451, /^4\.3\.0 Queue unavailable/],
    event: ['message.noqueue', 'queue-unavailable'],
    hookFailed: false,
    counts: messageRejected('4xx', 'queue-unavailable'),
  },
  {
    name: 'refused by a filter rule on the Subject: its own code, counted as filter',
    intake: {
      error: new ReplyError(asIngressReply(smtpReply(554, '5.7.1', 'Content refused'), 'filter')),
    },
    reply: [554, /^5\.7\.1 Content refused/],
    event: ['message.noqueue', 'filter'],
    hookFailed: false,
    counts: messageRejected('5xx', 'filter'),
  },
  {
    name: 'client gone mid-body: counted as such',
    intake: { error: new DataInterruptedError(new Error('Connection closed')) },
    reply: [451, /^4\.3\.0 /],
    event: ['message.noqueue', 'client-disconnected'],
    hookFailed: false,
    counts: messageRejected('4xx', 'client-disconnected'),
  },
  {
    name: 'an unexpected error: 451 4.3.0, never a 5xx',
    intake: { error: new TypeError('bug') },
    reply: [451, /^4\.3\.0 Temporary failure/],
    event: ['message.noqueue', 'internal-error'],
    hookFailed: false,
    counts: messageRejected('4xx', 'internal-error'),
  },
  {
    name: 'queued, but logging it throws: a 4xx, the process lives on',
    intake: { size: 1234 },
    failingEvent: 'message.queued',
    reply: [451, /^4\.3\.0 /],
    event: ['message.noqueue', 'internal-error'],
    hookFailed: true,
    // No 2xx: the 250 was never sent.
    counts: messageRejected('4xx', 'internal-error'),
  },
  {
    name: 'refused, and logging the refusal throws: the refusal is still given',
    intake: { error: new ReplyError(INGRESS_REPLIES.messageTooBig) },
    failingEvent: 'message.noqueue',
    reply: [552, /^5\.3\.4 /],
    event: undefined,
    hookFailed: true,
    // Answered by settle's fallback, counted there once.
    counts: messageRejected('5xx', 'message-too-big'),
  },
];

describe('DATA hook', () => {
  const unhandled = watchUnhandledRejections();

  for (const c of CASES) {
    it(c.name, async () => {
      const { logger, lines } = capturedLogger(c.failingEvent);
      const { sessions, session } = connectedSession(logger, {
        envelope: {
          mailFrom: { address: 'device@lan.test', args: false },
          rcptTo: [{ address: 'boss@example.test', args: false }],
        },
      });
      const metrics = createMetrics();
      const onData = createOnData({
        intake: scriptedIntake(c.intake),
        sessions,
        metrics,
        hostname: 'relay.test',
      });
      const answers = captureAnswers();

      onData(dataStream(), session, answers.callback);
      await answers.settled();

      const [code, text] = answers.only();
      assert.equal(code, c.reply[0]);
      assert.match(text, c.reply[1]);
      const message = lines().find((line) => String(line['event']).startsWith('message.'));
      assert.deepEqual(
        message && [message['event'], message['reason']],
        c.event && [c.event[0], c.event[1]],
      );
      assert.equal(
        lines().some((line) => line['event'] === 'smtp.hook.failed'),
        c.hookFailed,
      );
      assert.deepEqual(await replyCounts(metrics), c.counts);
      assert.deepEqual(unhandled, []);
    });
  }
});
