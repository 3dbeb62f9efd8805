import assert from 'node:assert/strict';
import { afterEach, beforeEach } from 'node:test';
import {
  createLogger,
  createMetrics,
  type Logger,
  type RelayMetrics,
} from '@smtp-relay/observability';
import { parseFilterFile } from '@smtp-relay/policy';
import { createMemoryClientBlocks } from '@smtp-relay/store';
import { captureLogs, type CapturedLogs } from '@smtp-relay/testkit';
import type { SMTPServerSession } from 'smtp-server';
import { createClientBlocking } from '../src/abuse/client-blocking.ts';
import { createSessionFilter } from '../src/filter/session-filter.ts';
import { createTransactionFilter } from '../src/filter/transaction-filter.ts';
import type { SmtpServerError } from '../src/reply.ts';
import { createSessionStates, type SessionStates } from '../src/session-state.ts';

// What the smtp-server hook tests share: the session smtp-server hands a hook,
// the service's logger writing to memory, the memory blocks, the filter, the
// one answer a hook gives, and the reply counters it moved.

/** The client of `smtpSession()`. */
export const CLIENT_ADDRESS = '192.0.2.10';

/** The failed-login limits of the memory blocks. */
export const LIMITS = { maxFailures: 5, windowMs: 60_000, blockMs: 60_000 };

/** A session after EHLO from CLIENT_ADDRESS, no TLS, no transaction yet; `overrides` for the rest. */
export function smtpSession(overrides: Partial<SMTPServerSession> = {}): SMTPServerSession {
  return {
    id: 'session-1',
    localAddress: '127.0.0.1',
    localPort: 2525,
    remoteAddress: CLIENT_ADDRESS,
    remotePort: 40000,
    clientHostname: `[${CLIENT_ADDRESS}]`,
    openingCommand: 'EHLO',
    hostNameAppearsAs: 'device.test',
    envelope: { mailFrom: false, rcptTo: [] },
    secure: false,
    transmissionType: 'ESMTP',
    tlsOptions: false,
    xClient: new Map(),
    xForward: new Map(),
    transaction: 1,
    ...overrides,
  };
}

/** `smtpSession(overrides)` as ingress knows it once connected: its state, logging to `log`. */
export function connectedSession(
  log: Logger,
  overrides: Partial<SMTPServerSession> = {},
): { readonly sessions: SessionStates; readonly session: SMTPServerSession } {
  const sessions = createSessionStates();
  const session = smtpSession(overrides);
  sessions.set(session, { log, clientAddress: CLIENT_ADDRESS, authFailures: 0 });
  return { sessions, session };
}

/** The service's logger writing to memory; writing a line with `failingEvent` throws. */
export function capturedLogger(failingEvent?: string): CapturedLogs<Logger> {
  return captureLogs(
    (destination) =>
      createLogger({ service: 'ingress', version: 'test', level: 'info', destination }),
    failingEvent,
  );
}

/** Client blocks in memory (LIMITS), and the blocking that refuses from them. */
export function memoryBlocking(logger: Logger, metrics: RelayMetrics) {
  const blocks = createMemoryClientBlocks({ limits: LIMITS });
  return { blocks, blocking: createClientBlocking({ blocks, limits: LIMITS, logger, metrics }) };
}

/**
 * What the MAIL and RCPT hooks run on: `connectedSession(overrides)`, real
 * metrics, and the filter as ingress builds it on a filter file's `rules`
 * (`filterFails`: loading them throws, a bug).
 */
export function filteredSession(
  rules: string,
  filterFails: boolean,
  overrides: Partial<SMTPServerSession> = {},
) {
  const { logger } = capturedLogger();
  const metrics = createMetrics();
  const { sessions, session } = connectedSession(logger, overrides);
  const parsed = parseFilterFile(rules).rules;
  const { blocking } = memoryBlocking(logger, metrics);
  const filter = createSessionFilter(
    createTransactionFilter({
      rules: () => {
        if (filterFails) throw new Error('rules unavailable');
        return parsed;
      },
      blocking,
      blockTimeMs: 60_000,
    }),
    sessions,
  );
  return { metrics, sessions, session, filter };
}

/** Asserts a hook's answer: the refusal's code and text start, or none (`refusal` undefined). */
export function assertRefusal(
  answer: Error | null | undefined,
  refusal: readonly [number, RegExp] | undefined,
): void {
  assert.equal(answer ? (answer as SmtpServerError).responseCode : undefined, refusal?.[0]);
  if (refusal) assert.match(answer?.message ?? '', refusal[1]);
}

/**
 * Collects the unhandled rejections while each test of the suite runs (call it
 * in the describe body). A hook must never cause one: the crash handler would
 * end the process, and every session on it.
 */
export function watchUnhandledRejections(): readonly unknown[] {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  beforeEach(() => {
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
  });
  return unhandled;
}

/** An answer: the reply code and text of a refusal, or the accepted code and the message. */
type Answer = readonly [number, string];

interface CapturedAnswers {
  /** The callback to hand the hook. */
  readonly callback: (error?: Error | null, message?: unknown) => void;
  /** Every answer so far. */
  readonly answers: readonly Answer[];
  /**
   * Resolves once the first answer has come and the turn has ended: Node reports
   * unhandled rejections once the microtasks have run, and a second answer would
   * have come by then.
   */
  settled(): Promise<void>;
  /** The one answer; fails the test unless it was answered exactly once. */
  only(): Answer;
}

/** Records a hook's answers; an accepted one reads `[acceptedCode, message]` (the message if text). */
export function captureAnswers(acceptedCode = 250): CapturedAnswers {
  const answers: Answer[] = [];
  let firstAnswer!: () => void;
  const answered = new Promise<void>((resolve) => {
    firstAnswer = resolve;
  });
  return {
    callback: (error, message) => {
      answers.push(
        error
          ? [(error as SmtpServerError).responseCode, error.message]
          : [acceptedCode, typeof message === 'string' ? message : ''],
      );
      firstAnswer();
    },
    answers,
    async settled() {
      await answered;
      await new Promise((resolve) => {
        setImmediate(resolve);
      });
    },
    only() {
      assert.equal(answers.length, 1, 'answered exactly once');
      return answers[0] ?? [-1, ''];
    },
  };
}

/** The counters a refused message moves: the reply's class and messages_rejected by reason. */
export const messageRejected = (
  replyClass: '4xx' | '5xx',
  reason: string,
): Record<string, number> => ({
  [`smtp_replies{class="${replyClass}"}`]: 1,
  [`messages_rejected{reason="${reason}"}`]: 1,
});

/**
 * The reply counters that moved, read from the metrics registry, as
 * `smtp_replies{class="4xx"}: 1` (README "Metrics" names without smtp_relay_
 * and _total). Counters still at 0 are left out, so a test lists all it expects.
 */
export async function replyCounts(metrics: RelayMetrics): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const counters = [
    metrics.smtpReplies,
    metrics.messagesRejected,
    metrics.connectionsRefused,
    metrics.authFailures,
  ];
  for (const counter of counters) {
    const { name, values } = await counter.get();
    const short = name.replace(/^smtp_relay_/, '').replace(/_total$/, '');
    for (const { labels, value } of values) {
      if (value === 0) continue;
      const text = Object.entries(labels)
        .map(([label, labelValue]) => `${label}="${String(labelValue)}"`)
        .join(',');
      counts[text === '' ? short : `${short}{${text}}`] = value;
    }
  }
  return counts;
}
