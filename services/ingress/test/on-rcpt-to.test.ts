import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import {
  createLogger,
  createMetrics,
  type Logger,
  type RelayMetrics,
} from '@smtp-relay/observability';
import { parseFilterFile, type FilterRule } from '@smtp-relay/policy';
import { createMemoryClientBlocks } from '@smtp-relay/store';
import type { SMTPServerSession } from 'smtp-server';
import { createClientBlocking } from '../src/abuse/client-blocking.ts';
import { createClientTrust } from '../src/client-trust.ts';
import { createSessionFilter } from '../src/filter/session-filter.ts';
import { createTransactionFilter } from '../src/filter/transaction-filter.ts';
import { createOnRcptTo } from '../src/hooks/on-rcpt-to.ts';
import type { SmtpServerError } from '../src/reply.ts';
import { createSessionStates, type SessionStates } from '../src/session-state.ts';
import { replyCounts } from './reply-counts.ts';

// RCPT: filter R rules first, then the relay decision. Each refusal is counted
// once: messages_rejected by the reason its reply has, and the reply's class.

const LIMITS = { maxFailures: 5, windowMs: 60_000, blockMs: 60_000 };
const RULES = `
R, "*@refused.test", R, "550 5.7.1 Recipient refused"
R, "kick@*", D, "disconnected a kicker"
`;

function quietLogger(): Logger {
  return createLogger({
    service: 'ingress',
    version: 'test',
    level: 'info',
    destination: new Writable({
      write: (_chunk, _encoding, next) => {
        next();
      },
    }),
  });
}

function session(user: string | undefined): SMTPServerSession {
  return {
    id: 'session-1',
    localAddress: '127.0.0.1',
    localPort: 2525,
    remoteAddress: '192.0.2.10',
    remotePort: 40000,
    clientHostname: '[192.0.2.10]',
    openingCommand: 'EHLO',
    hostNameAppearsAs: 'device.test',
    envelope: { mailFrom: { address: 'device@lan.test', args: false }, rcptTo: [] },
    secure: true,
    transmissionType: 'ESMTPS',
    tlsOptions: false,
    xClient: new Map(),
    xForward: new Map(),
    transaction: 1,
    ...(user === undefined ? {} : { user }),
  };
}

/** The filter as ingress builds it, on `rules` (a function that throws: the filter fails). */
function sessionFilter(
  rules: () => readonly FilterRule[],
  sessions: SessionStates,
  log: Logger,
  metrics: RelayMetrics,
) {
  const blocking = createClientBlocking({
    blocks: createMemoryClientBlocks({ limits: LIMITS }),
    limits: LIMITS,
    logger: log,
    metrics,
  });
  return createSessionFilter(
    createTransactionFilter({ rules, blocking, blockTimeMs: 60_000 }),
    sessions,
  );
}

interface Case {
  readonly name: string;
  readonly to: string;
  readonly user?: string;
  readonly relayNetwork?: boolean;
  readonly authOffered: boolean;
  /** The filter's rules fail to load (a bug): the answer is 451. */
  readonly filterFails?: boolean;
  /** The refusal's code and text start; undefined: accepted. */
  readonly refusal: readonly [number, RegExp] | undefined;
  readonly counts: Record<string, number>;
}

const refused = (replyClass: '4xx' | '5xx', reason: string): Record<string, number> => ({
  [`smtp_replies{class="${replyClass}"}`]: 1,
  [`messages_rejected{reason="${reason}"}`]: 1,
});

const CASES: readonly Case[] = [
  {
    name: 'authenticated: accepted, nothing counted',
    to: 'boss@example.test',
    user: 'scanner',
    authOffered: true,
    refusal: undefined,
    counts: {},
  },
  {
    name: 'from SMTP_RELAY_NETWORKS: accepted, nothing counted',
    to: 'boss@example.test',
    relayNetwork: true,
    authOffered: true,
    refusal: undefined,
    counts: {},
  },
  {
    name: 'neither, AUTH offered: 530 5.7.0',
    to: 'boss@example.test',
    authOffered: true,
    refusal: [530, /^5\.7\.0 Authentication required/],
    counts: refused('5xx', 'relay-denied'),
  },
  {
    name: 'neither, no AUTH: 554 5.7.1',
    to: 'boss@example.test',
    authOffered: false,
    refusal: [554, /^5\.7\.1 Relay access denied/],
    counts: refused('5xx', 'relay-denied'),
  },
  {
    name: "an R rule refuses, even a trusted client: the rule's 550",
    to: 'x@refused.test',
    relayNetwork: true,
    authOffered: true,
    refusal: [550, /^5\.7\.1 Recipient refused/],
    counts: refused('5xx', 'filter'),
  },
  {
    name: 'a D rule: 421, a 4xx',
    to: 'kick@example.test',
    relayNetwork: true,
    authOffered: true,
    refusal: [421, /^4\.7\.0 /],
    counts: refused('4xx', 'filter'),
  },
  {
    name: 'the filter fails: 451 4.3.0, internal-error',
    to: 'boss@example.test',
    relayNetwork: true,
    authOffered: true,
    filterFails: true,
    refusal: [451, /^4\.3\.0 Temporary failure/],
    counts: refused('4xx', 'internal-error'),
  },
];

describe('RCPT hook', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const log = quietLogger();
      const metrics = createMetrics();
      const sessions = createSessionStates();
      const smtpSession = session(c.user);
      sessions.set(smtpSession, { log, clientAddress: '192.0.2.10', authFailures: 0 });
      const rules = parseFilterFile(RULES).rules;
      const filter = sessionFilter(
        () => {
          if (c.filterFails) throw new Error('rules unavailable');
          return rules;
        },
        sessions,
        log,
        metrics,
      );
      const trust = createClientTrust(() => c.relayNetwork === true);
      const onRcptTo = createOnRcptTo({
        sessions,
        metrics,
        isRelayClient: trust.isRelayClient,
        cameWithoutClientAddress: trust.cameWithoutClientAddress,
        authOffered: c.authOffered,
        filter,
      });

      const answer = await new Promise<Error | null | undefined>((resolve) => {
        onRcptTo({ address: c.to, args: false }, smtpSession, resolve);
      });

      assert.equal(answer ? (answer as SmtpServerError).responseCode : undefined, c.refusal?.[0]);
      if (c.refusal) assert.match(answer?.message ?? '', c.refusal[1]);
      assert.deepEqual(await replyCounts(metrics), c.counts);
    });
  }
});
