import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger, createMetrics } from '@smtp-relay/observability';
import { parseFilterFile, type FilterRule } from '@smtp-relay/policy';
import { createMemoryClientBlocks } from '@smtp-relay/store';
import type { SMTPServerSession } from 'smtp-server';
import { createClientBlocking } from '../src/abuse/client-blocking.ts';
import { createSessionFilter } from '../src/filter/session-filter.ts';
import { createTransactionFilter } from '../src/filter/transaction-filter.ts';
import { createOnMailFrom } from '../src/hooks/on-mail-from.ts';
import type { SmtpServerError } from '../src/reply.ts';
import { createSessionStates } from '../src/session-state.ts';
import { replyCounts } from './reply-counts.ts';

// MAIL: 421 while shutting down, then filter M rules. Each refusal is counted
// once: messages_rejected by the reason its reply has, and the reply's class.

const LIMITS = { maxFailures: 5, windowMs: 60_000, blockMs: 60_000 };
const RULES = 'M, "spam@*", R, "550 5.7.1 Sender refused"';

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
    secure: false,
    transmissionType: 'ESMTP',
    tlsOptions: false,
    xClient: new Map(),
    xForward: new Map(),
    transaction: 1,
  };
}

interface Case {
  readonly name: string;
  readonly from: string;
  readonly shuttingDown?: boolean;
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
  { name: 'no rule matches: accepted', from: 'device@lan.test', refusal: undefined, counts: {} },
  {
    name: 'shutting down: 421 4.3.2',
    from: 'device@lan.test',
    shuttingDown: true,
    refusal: [421, /^4\.3\.2 /],
    counts: refused('4xx', 'shutting-down'),
  },
  {
    name: "an M rule refuses: the rule's 550",
    from: 'spam@example.test',
    refusal: [550, /^5\.7\.1 Sender refused/],
    counts: refused('5xx', 'filter'),
  },
  {
    name: 'the filter fails: 451 4.3.0, internal-error',
    from: 'device@lan.test',
    filterFails: true,
    refusal: [451, /^4\.3\.0 Temporary failure/],
    counts: refused('4xx', 'internal-error'),
  },
];

describe('MAIL FROM hook', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const log = createLogger({
        service: 'ingress',
        version: 'test',
        level: 'info',
        destination: new Writable({
          write: (_chunk, _encoding, next) => {
            next();
          },
        }),
      });
      const metrics = createMetrics();
      const sessions = createSessionStates();
      const smtpSession = session();
      sessions.set(smtpSession, { log, clientAddress: '192.0.2.10', authFailures: 0 });
      const rules = parseFilterFile(RULES).rules;
      const blocking = createClientBlocking({
        blocks: createMemoryClientBlocks({ limits: LIMITS }),
        limits: LIMITS,
        logger: log,
        metrics,
      });
      const filter = createSessionFilter(
        createTransactionFilter({
          rules: (): readonly FilterRule[] => {
            if (c.filterFails) throw new Error('rules unavailable');
            return rules;
          },
          blocking,
          blockTimeMs: 60_000,
        }),
        sessions,
      );
      const onMailFrom = createOnMailFrom(() => c.shuttingDown === true, filter, metrics);

      const answer = await new Promise<Error | null | undefined>((resolve) => {
        onMailFrom({ address: c.from, args: false }, smtpSession, resolve);
      });

      assert.equal(answer ? (answer as SmtpServerError).responseCode : undefined, c.refusal?.[0]);
      if (c.refusal) assert.match(answer?.message ?? '', c.refusal[1]);
      assert.deepEqual(await replyCounts(metrics), c.counts);
    });
  }
});
