import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMetrics, type Logger } from '@smtp-relay/observability';
import type { BlockReason } from '@smtp-relay/store';
import type { SMTPServerAuthentication } from 'smtp-server';
import { createLogLimiter } from '../src/abuse/log-limiter.ts';
import { createOnAuth, type CredentialsVerifier } from '../src/hooks/on-auth.ts';
import {
  captureAnswers,
  capturedLogger,
  CLIENT_ADDRESS,
  connectedSession,
  memoryBlocking,
  replyCounts,
  watchUnhandledRejections,
} from './hook-fixtures.ts';

// The AUTH hook gives exactly one answer per attempt. Nothing it does after the
// password check may crash the process: a throw there (a logger, a metric, the
// credentials store) becomes a 4xx for this attempt, never an unhandled
// rejection, which the crash handler would end the process on. Every refusal is
// counted once, with the class of the code sent (454 and 421 are 4xx).

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
  /** The address is blocked before the attempt, for this reason. */
  readonly blocked?: BlockReason;
  /** The client is in SMTP_RELAY_NETWORKS. */
  readonly trusted?: boolean;
  /** The reply counters that moved (see replyCounts). */
  readonly counts: Record<string, number>;
}

const WRONG = { auth_failures: 1 };

const valid: CredentialsVerifier = { verify: () => Promise.resolve(true) };
const invalid: CredentialsVerifier = { verify: () => Promise.resolve(false) };

const CASES: readonly Case[] = [
  {
    name: 'right password: accepted, nothing counted',
    credentials: valid,
    answer: [0, /^$/],
    hookFailed: false,
    counts: {},
  },
  {
    name: 'wrong password: 535 5.7.8',
    credentials: invalid,
    answer: [535, /^5\.7\.8 /],
    hookFailed: false,
    counts: { ...WRONG, 'smtp_replies{class="5xx"}': 1 },
  },
  {
    name: 'the credentials cannot be checked: 454 4.7.0, a 4xx',
    credentials: { verify: () => Promise.reject(new Error('file unreadable')) },
    answer: [454, /^4\.7\.0 /],
    hookFailed: false,
    counts: { 'smtp_replies{class="4xx"}': 1 },
  },
  {
    name: 'address blocked for failed logins, trusted client: 454 4.7.0, password not checked',
    credentials: valid,
    blocked: 'auth',
    trusted: true,
    answer: [454, /^4\.7\.0 Too many failed logins/],
    hookFailed: false,
    counts: { 'smtp_replies{class="4xx"}': 1 },
  },
  {
    name: 'address blocked by a filter rule: 421 4.7.0, a 4xx',
    credentials: valid,
    blocked: 'filter',
    answer: [421, /^4\.7\.0 Connections from your address are blocked/],
    hookFailed: false,
    counts: { 'smtp_replies{class="4xx"}': 1 },
  },
  {
    name: 'right password, but logging the success throws: a 4xx, the process lives on',
    credentials: valid,
    failingEvent: 'smtp.auth.succeeded',
    answer: [454, /^4\.7\.0 /],
    hookFailed: true,
    counts: { 'smtp_replies{class="4xx"}': 1 },
  },
  {
    name: 'wrong password, and logging the failure throws: still refused, never accepted',
    credentials: invalid,
    failingEvent: 'smtp.auth.failed',
    answer: [454, /^4\.7\.0 /],
    hookFailed: true,
    counts: { ...WRONG, 'smtp_replies{class="4xx"}': 1 },
  },
];

/** An AUTH hook on memory blocks with real metrics, for CLIENT_ADDRESS. */
function authHook(credentials: CredentialsVerifier, logger: Logger, trusted = false) {
  const metrics = createMetrics();
  const { sessions, session } = connectedSession(logger, {
    secure: true,
    transmissionType: 'ESMTPS',
  });
  const { blocks, blocking } = memoryBlocking(logger, metrics);
  const onAuth = createOnAuth({
    credentials,
    sessions,
    metrics,
    maxFailures: 3,
    abuse: { blocking, refusalLog: createLogLimiter() },
    isRelayClient: () => trusted,
  });
  /** One AUTH attempt: its one answer, code (0: accepted) and text. */
  const attempt = async (): Promise<readonly [number, string]> => {
    const answers = captureAnswers(0);
    onAuth(AUTH, session, answers.callback);
    await answers.settled();
    return answers.only();
  };
  return { metrics, blocks, attempt };
}

describe('AUTH hook', () => {
  const unhandled = watchUnhandledRejections();

  for (const c of CASES) {
    it(c.name, async () => {
      const { logger, lines } = capturedLogger(c.failingEvent);
      const { metrics, blocks, attempt } = authHook(c.credentials, logger, c.trusted);
      if (c.blocked) await blocks.block(CLIENT_ADDRESS, 60_000, c.blocked);

      const [code, text] = await attempt();

      assert.equal(code, c.answer[0]);
      assert.match(text, c.answer[1]);
      assert.equal(
        lines().some((line) => line['event'] === 'smtp.hook.failed'),
        c.hookFailed,
      );
      assert.deepEqual(await replyCounts(metrics), c.counts);
      assert.deepEqual(unhandled, []);
    });
  }

  it('the third wrong password in a session: 421, counted as a 4xx', async () => {
    const { logger } = capturedLogger();
    const { metrics, attempt } = authHook(invalid, logger);

    const codes = [(await attempt())[0], (await attempt())[0], (await attempt())[0]];

    assert.deepEqual(codes, [535, 535, 421]);
    assert.deepEqual(await replyCounts(metrics), {
      auth_failures: 3,
      'smtp_replies{class="5xx"}': 2,
      'smtp_replies{class="4xx"}': 1,
    });
  });
});
