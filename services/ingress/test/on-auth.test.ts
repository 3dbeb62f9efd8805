import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createLogger, createMetrics } from '@smtp-relay/observability';
import { createMemoryClientBlocks } from '@smtp-relay/store';
import type { SMTPServerAuthentication, SMTPServerSession } from 'smtp-server';
import { createClientBlocking } from '../src/abuse/client-blocking.ts';
import { createLogLimiter } from '../src/abuse/log-limiter.ts';
import { createOnAuth, type CredentialsVerifier } from '../src/hooks/on-auth.ts';
import type { SmtpServerError } from '../src/reply.ts';
import { createSessionStates } from '../src/session-state.ts';

// The AUTH hook gives exactly one answer per attempt. Nothing it does after the
// password check may crash the process: a throw there (a logger, a metric, the
// credentials store) becomes a 4xx for this attempt, never an unhandled
// rejection, which the crash handler would end the process on.

/** The service's logger writing to memory; writing a line with `failingEvent` throws. */
function capturedLogger(failingEvent: string | undefined) {
  const lines: Record<string, unknown>[] = [];
  const destination = Object.assign(new Writable(), {
    write(text: string): boolean {
      const line = JSON.parse(text) as Record<string, unknown>;
      if (line['event'] === failingEvent) throw new Error('log destination broke');
      lines.push(line);
      return true;
    },
  });
  const logger = createLogger({ service: 'ingress', version: 'test', level: 'info', destination });
  return { logger, lines };
}

const LIMITS = { maxFailures: 5, windowMs: 60_000, blockMs: 60_000 };

function session(): SMTPServerSession {
  return {
    id: 'session-1',
    localAddress: '127.0.0.1',
    localPort: 2525,
    remoteAddress: '192.0.2.10',
    remotePort: 40000,
    clientHostname: '[192.0.2.10]',
    openingCommand: 'EHLO',
    hostNameAppearsAs: 'device.test',
    envelope: { mailFrom: false, rcptTo: [] },
    secure: true,
    transmissionType: 'ESMTPS',
    tlsOptions: false,
    xClient: new Map(),
    xForward: new Map(),
    transaction: 1,
  };
}

const AUTH: SMTPServerAuthentication = {
  method: 'PLAIN',
  username: 'scanner',
  password: 'right',
  validatePassword: () => false,
};

interface Case {
  readonly name: string;
  readonly credentials: CredentialsVerifier;
  /** The log event whose line throws. */
  readonly failingEvent?: string;
  /** The one answer: 235-style success (0) or the refusal's code and text start. */
  readonly answer: readonly [number, RegExp];
  /** Whether settle logged a handler failure. */
  readonly hookFailed: boolean;
}

const valid: CredentialsVerifier = { verify: () => Promise.resolve(true) };
const invalid: CredentialsVerifier = { verify: () => Promise.resolve(false) };

const CASES: readonly Case[] = [
  { name: 'right password: accepted', credentials: valid, answer: [0, /^$/], hookFailed: false },
  {
    name: 'wrong password: 535 5.7.8',
    credentials: invalid,
    answer: [535, /^5\.7\.8 /],
    hookFailed: false,
  },
  {
    name: 'the credentials cannot be checked: 454 4.7.0',
    credentials: { verify: () => Promise.reject(new Error('file unreadable')) },
    answer: [454, /^4\.7\.0 /],
    hookFailed: false,
  },
  {
    name: 'right password, but logging the success throws: a 4xx, the process lives on',
    credentials: valid,
    failingEvent: 'smtp.auth.succeeded',
    answer: [454, /^4\.7\.0 /],
    hookFailed: true,
  },
  {
    name: 'wrong password, and logging the failure throws: still refused, never accepted',
    credentials: invalid,
    failingEvent: 'smtp.auth.failed',
    answer: [454, /^4\.7\.0 /],
    hookFailed: true,
  },
];

/** Lets the turn end: Node reports unhandled rejections once the microtasks have run. */
const nextTurn = (): Promise<void> =>
  new Promise((resolve) => {
    setImmediate(resolve);
  });

describe('AUTH hook', () => {
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

  for (const c of CASES) {
    it(c.name, async () => {
      const { logger, lines } = capturedLogger(c.failingEvent);
      const metrics = createMetrics();
      const sessions = createSessionStates();
      const smtpSession = session();
      sessions.set(smtpSession, { log: logger, clientAddress: '192.0.2.10', authFailures: 0 });
      const onAuth = createOnAuth({
        credentials: c.credentials,
        sessions,
        metrics,
        maxFailures: 3,
        abuse: {
          blocking: createClientBlocking({
            blocks: createMemoryClientBlocks({ limits: LIMITS }),
            limits: LIMITS,
            logger,
            metrics,
          }),
          refusalLog: createLogLimiter(),
        },
        isRelayClient: () => false,
      });
      const answers: (readonly [number, string])[] = [];
      let firstAnswer!: () => void;
      const answered = new Promise<void>((resolve) => {
        firstAnswer = resolve;
      });

      onAuth(AUTH, smtpSession, (error) => {
        answers.push(error ? [(error as SmtpServerError).responseCode, error.message] : [0, '']);
        firstAnswer();
      });
      await answered;
      await nextTurn();

      assert.equal(answers.length, 1, 'answered exactly once');
      const [code, text] = answers[0] ?? [-1, ''];
      assert.equal(code, c.answer[0]);
      assert.match(text, c.answer[1]);
      assert.equal(
        lines.some((line) => line['event'] === 'smtp.hook.failed'),
        c.hookFailed,
      );
      assert.deepEqual(unhandled, []);
    });
  }
});
