import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createMetrics } from '@smtp-relay/observability';
import {
  asIngressReply,
  INGRESS_REPLIES,
  queuedReply,
  smtpReply,
  type IngressReplyReason,
  type SmtpReply,
} from '@smtp-relay/smtp-errors';
import {
  countReply,
  refuse,
  ReplyError,
  replyFor,
  toSafeSmtpServerError,
  toSmtpServerError,
  type ReplyStage,
} from '../src/reply.ts';
import { replyCounts } from './hook-fixtures.ts';

describe('toSmtpServerError', () => {
  const rows: readonly { reply: SmtpReply; responseCode: number; message: string }[] = [
    {
      reply: INGRESS_REPLIES.authenticationRequired,
      responseCode: 530,
      message: '5.7.0 Authentication required',
    },
    {
      reply: INGRESS_REPLIES.relayDenied,
      responseCode: 554,
      message: '5.7.1 Relay access denied',
    },
    {
      reply: INGRESS_REPLIES.tooManyRecipients,
      responseCode: 452,
      message: '4.5.3 Too many recipients',
    },
    {
      reply: INGRESS_REPLIES.queueUnavailable,
      responseCode: 451,
      message: '4.3.0 Queue unavailable, try again later',
    },
    {
      reply: INGRESS_REPLIES.authFromBlockedAddress,
      responseCode: 454,
      message: '4.7.0 Too many failed logins from your address, try again later',
    },
    {
      reply: queuedReply('01M8BYCJJG0123456789ABCDEF'),
      responseCode: 250,
      message: '2.0.0 Ok: queued as 01M8BYCJJG0123456789ABCDEF',
    },
    { reply: smtpReply(550, '5.1.1', ''), responseCode: 550, message: '5.1.1 ' },
  ];
  for (const row of rows) {
    it(`${String(row.responseCode)} ${row.message}`, () => {
      const error = toSmtpServerError(row.reply);
      assert.ok(error instanceof Error);
      assert.equal(error.responseCode, row.responseCode);
      assert.equal(error.message, row.message);
    });
  }
});

describe('toSafeSmtpServerError and replyFor', () => {
  const temporary = {
    responseCode: 451,
    message: '4.3.0 Temporary failure, try again later',
    reason: 'internal-error',
  } as const;
  const rows: readonly {
    name: string;
    error: unknown;
    expected: { responseCode: number; message: string; reason: IngressReplyReason };
  }[] = [
    {
      name: 'a ReplyError keeps its 5xx reply',
      error: new ReplyError(INGRESS_REPLIES.relayDenied),
      expected: { responseCode: 554, message: '5.7.1 Relay access denied', reason: 'relay-denied' },
    },
    {
      name: 'a ReplyError keeps its 4xx reply',
      error: new ReplyError(INGRESS_REPLIES.queueUnavailable, { cause: new Error('ECONNREFUSED') }),
      expected: {
        responseCode: 451,
        message: '4.3.0 Queue unavailable, try again later',
        reason: 'queue-unavailable',
      },
    },
    {
      name: "a ReplyError with a filter rule's reply keeps it, counted as filter",
      error: new ReplyError(asIngressReply(smtpReply(550, '5.7.1', 'Go away'), 'filter')),
      expected: { responseCode: 550, message: '5.7.1 Go away', reason: 'filter' },
    },
    {
      name: 'a ReplyError with a reply nobody gave a reason: given, counted as internal-error',
      error: new ReplyError(smtpReply(552, '5.3.4', 'Too big')),
      expected: { responseCode: 552, message: '5.3.4 Too big', reason: 'internal-error' },
    },
    {
      name: 'a plain Error becomes 451 4.3.0',
      error: new Error('Connection is closed.'),
      expected: temporary,
    },
    {
      name: 'an Error carrying a 5xx responseCode still becomes 451 4.3.0',
      error: Object.assign(new Error('550 denied'), { responseCode: 550 }),
      expected: temporary,
    },
    {
      name: 'an already converted smtp-server error is not trusted: 451 4.3.0',
      error: toSmtpServerError(INGRESS_REPLIES.relayDenied),
      expected: temporary,
    },
    {
      name: 'an object shaped like a ReplyError becomes 451 4.3.0',
      error: { name: 'ReplyError', reply: INGRESS_REPLIES.relayDenied },
      expected: temporary,
    },
    {
      name: 'a TypeError becomes 451 4.3.0',
      error: new TypeError('x is undefined'),
      expected: temporary,
    },
    { name: 'a thrown string becomes 451 4.3.0', error: 'boom', expected: temporary },
    { name: 'undefined becomes 451 4.3.0', error: undefined, expected: temporary },
    { name: 'null becomes 451 4.3.0', error: null, expected: temporary },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const error = toSafeSmtpServerError(row.error);
      assert.ok(error instanceof Error);
      assert.equal(error.responseCode, row.expected.responseCode);
      assert.equal(error.message, row.expected.message);
      assert.equal(replyFor(row.error).reason, row.expected.reason);
    });
  }

  it('never answers 5xx for anything but a ReplyError', () => {
    const unexpected: readonly unknown[] = [
      new Error('x'),
      new RangeError('x'),
      Object.assign(new Error('x'), { responseCode: 554 }),
      { responseCode: 500 },
      42,
      Symbol('x'),
    ];
    for (const error of unexpected) {
      const code = toSafeSmtpServerError(error).responseCode;
      assert.ok(code >= 400 && code < 500, String(code));
    }
  });
});

describe('ReplyError', () => {
  it('carries the reply, a name, the full reply as message and the cause', () => {
    const cause = new Error('ECONNREFUSED');
    const error = new ReplyError(INGRESS_REPLIES.queueUnavailable, { cause });
    assert.ok(error instanceof Error);
    assert.equal(error.name, 'ReplyError');
    assert.equal(error.message, '451 4.3.0 Queue unavailable, try again later');
    assert.equal(error.reply, INGRESS_REPLIES.queueUnavailable);
    assert.equal(error.cause, cause);
  });

  it('has no cause when none is given', () => {
    const error = new ReplyError(INGRESS_REPLIES.relayDenied);
    assert.equal(error.cause, undefined);
    assert.equal('cause' in error, false);
  });
});

type EntryName = keyof typeof INGRESS_REPLIES;

describe('the reply table, as counted', () => {
  // One row per entry: the reason it is counted under, and the class its code
  // gives (421 and 454 are 4xx like any other: the client may try again).
  const ROWS: Record<EntryName, { reason: IngressReplyReason; class: '4xx' | '5xx' }> = {
    authenticationRequired: { reason: 'relay-denied', class: '5xx' },
    relayDenied: { reason: 'relay-denied', class: '5xx' },
    senderNotAllowed: { reason: 'sender-not-allowed', class: '5xx' },
    authenticationFailed: { reason: 'auth-failed', class: '5xx' },
    authenticationUnavailable: { reason: 'auth-unavailable', class: '4xx' },
    tooManyAuthFailures: { reason: 'too-many-auth-failures', class: '4xx' },
    tooManyRecipients: { reason: 'too-many-recipients', class: '4xx' },
    messageTooBig: { reason: 'message-too-big', class: '5xx' },
    queueUnavailable: { reason: 'queue-unavailable', class: '4xx' },
    dataInterrupted: { reason: 'client-disconnected', class: '4xx' },
    temporaryFailure: { reason: 'internal-error', class: '4xx' },
    shuttingDown: { reason: 'shutting-down', class: '4xx' },
    clientBlocked: { reason: 'blocked', class: '4xx' },
    authFromBlockedAddress: { reason: 'blocked', class: '4xx' },
    tooManyConnectionsFromAddress: { reason: 'per-ip-limit', class: '4xx' },
    commandTooSlow: { reason: 'too-slow', class: '4xx' },
    dataTooSlow: { reason: 'too-slow', class: '4xx' },
    tooManyRefusedCommands: { reason: 'too-many-refused-commands', class: '4xx' },
  };

  it('has a row for every entry, and none for an entry that is gone', () => {
    assert.deepEqual(Object.keys(ROWS).sort(), Object.keys(INGRESS_REPLIES).sort());
  });

  for (const name of Object.keys(INGRESS_REPLIES) as EntryName[]) {
    const row = ROWS[name];
    it(`${name}: ${row.reason}, ${row.class}`, async () => {
      const metrics = createMetrics();
      countReply(metrics, 'rcpt', INGRESS_REPLIES[name]);
      assert.deepEqual(await replyCounts(metrics), {
        [`smtp_replies{class="${row.class}"}`]: 1,
        [`messages_rejected{reason="${row.reason}"}`]: 1,
      });
    });
  }
});

describe('countReply: which counters, by stage', () => {
  const rows: readonly { stage: ReplyStage; counts: Record<string, number> }[] = [
    {
      stage: 'connect',
      counts: {
        'smtp_replies{class="4xx"}': 1,
        'connections_refused{reason="shutting-down"}': 1,
      },
    },
    { stage: 'helo', counts: { 'smtp_replies{class="4xx"}': 1 } },
    { stage: 'auth', counts: { 'smtp_replies{class="4xx"}': 1 } },
    {
      stage: 'mail',
      counts: {
        'smtp_replies{class="4xx"}': 1,
        'messages_rejected{reason="shutting-down"}': 1,
      },
    },
    {
      stage: 'rcpt',
      counts: {
        'smtp_replies{class="4xx"}': 1,
        'messages_rejected{reason="shutting-down"}': 1,
      },
    },
    {
      stage: 'data',
      counts: {
        'smtp_replies{class="4xx"}': 1,
        'messages_rejected{reason="shutting-down"}': 1,
      },
    },
    { stage: 'session', counts: { 'smtp_replies{class="4xx"}': 1 } },
  ];
  for (const row of rows) {
    it(`421 shutting down at ${row.stage}`, async () => {
      const metrics = createMetrics();
      countReply(metrics, row.stage, INGRESS_REPLIES.shuttingDown);
      assert.deepEqual(await replyCounts(metrics), row.counts);
    });
  }

  it('a 250 has a class and no reason counted', async () => {
    const metrics = createMetrics();
    countReply(metrics, 'data', queuedReply('01M8BYCJJG0123456789ABCDEF'));
    assert.deepEqual(await replyCounts(metrics), { 'smtp_replies{class="2xx"}': 1 });
  });

  it('a connection refused for a block names the block', async () => {
    const metrics = createMetrics();
    countReply(metrics, 'connect', INGRESS_REPLIES.clientBlocked, 'auth');
    countReply(metrics, 'connect', INGRESS_REPLIES.clientBlocked, 'filter');
    assert.deepEqual(await replyCounts(metrics), {
      'smtp_replies{class="4xx"}': 2,
      'connections_refused{reason="blocked-auth"}': 1,
      'connections_refused{reason="blocked-filter"}': 1,
    });
  });

  it('refuse counts once and gives the error toSmtpServerError gives', async () => {
    const metrics = createMetrics();
    const error = refuse(metrics, 'rcpt', INGRESS_REPLIES.relayDenied);
    assert.deepEqual(
      [error.responseCode, error.message],
      [554, toSmtpServerError(INGRESS_REPLIES.relayDenied).message],
    );
    assert.deepEqual(await replyCounts(metrics), {
      'smtp_replies{class="5xx"}': 1,
      'messages_rejected{reason="relay-denied"}': 1,
    });
  });
});

describe('counting in one place', () => {
  // Hooks, abuse and filter code refuse through refuse()/countReply(); a counter
  // incremented by hand elsewhere is how 421 came to be counted as 5xx.
  const source = join(import.meta.dirname, '..', 'src');
  const byHand = /\.(smtpReplies|messagesRejected|connectionsRefused)\.inc\(/;
  const files = readdirSync(source, { recursive: true, encoding: 'utf8' }).filter(
    (file) => file.endsWith('.ts') && file !== 'reply.ts',
  );

  it('no file of ingress but reply.ts increments a reply counter', () => {
    assert.ok(files.length > 10, 'the source tree was read');
    const offenders = files.filter((file) => byHand.test(readFileSync(join(source, file), 'utf8')));
    assert.deepEqual(offenders, []);
  });
});
