import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger, createMetrics } from '@smtp-relay/observability';
import { createMemoryClientBlocks, type BlockReason } from '@smtp-relay/store';
import type { SMTPServerSession } from 'smtp-server';
import { createClientBlocking } from '../src/abuse/client-blocking.ts';
import { createConnectionsPerIp } from '../src/abuse/connections-per-ip.ts';
import { createLogLimiter } from '../src/abuse/log-limiter.ts';
import { createAuthVisibility } from '../src/auth-visibility.ts';
import { createOnConnect } from '../src/hooks/on-connect.ts';
import type { SmtpServerError } from '../src/reply.ts';
import { createSessionStates } from '../src/session-state.ts';
import { replyCounts } from './reply-counts.ts';

// The connect hook answers 421 instead of the greeting, or lets the client in.
// Each refusal is counted once: connections_refused by reason, and its class.

const LIMITS = { maxFailures: 5, windowMs: 60_000, blockMs: 60_000 };
const ADDRESS = '192.0.2.10';

function session(): SMTPServerSession {
  return {
    id: 'session-1',
    localAddress: '127.0.0.1',
    localPort: 2525,
    remoteAddress: ADDRESS,
    remotePort: 40000,
    clientHostname: `[${ADDRESS}]`,
    openingCommand: '',
    hostNameAppearsAs: '',
    envelope: { mailFrom: false, rcptTo: [] },
    secure: false,
    transmissionType: 'SMTP',
    tlsOptions: false,
    xClient: new Map(),
    xForward: new Map(),
    transaction: 0,
  };
}

interface Case {
  readonly name: string;
  readonly shuttingDown?: boolean;
  /** Another connection from the address is open (SMTP_MAX_CLIENTS_PER_IP is 1). */
  readonly atLimit?: boolean;
  readonly blocked?: BlockReason;
  readonly trusted?: boolean;
  /** The refusal's code and text start; undefined: let in. */
  readonly refusal: readonly [number, RegExp] | undefined;
  readonly counts: Record<string, number>;
}

const refused = (reason: string): Record<string, number> => ({
  'smtp_replies{class="4xx"}': 1,
  [`connections_refused{reason="${reason}"}`]: 1,
});

const CASES: readonly Case[] = [
  { name: 'an ordinary client: let in, nothing counted', refusal: undefined, counts: {} },
  {
    name: 'shutting down: 421 4.3.2',
    shuttingDown: true,
    refusal: [421, /^4\.3\.2 /],
    counts: refused('shutting-down'),
  },
  {
    name: 'one connection too many from the address: 421 4.7.0',
    atLimit: true,
    refusal: [421, /^4\.7\.0 Too many connections/],
    counts: refused('per-ip-limit'),
  },
  {
    name: 'blocked for failed logins: 421 4.7.0',
    blocked: 'auth',
    refusal: [421, /^4\.7\.0 Connections from your address are blocked/],
    counts: refused('blocked-auth'),
  },
  {
    name: 'blocked for failed logins, in SMTP_RELAY_NETWORKS: let in, nothing counted',
    blocked: 'auth',
    trusted: true,
    refusal: undefined,
    counts: {},
  },
  {
    name: 'blocked by a filter rule, even in SMTP_RELAY_NETWORKS: 421 4.7.0',
    blocked: 'filter',
    trusted: true,
    refusal: [421, /^4\.7\.0 Connections from your address are blocked/],
    counts: refused('blocked-filter'),
  },
];

describe('connect hook', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const logger = createLogger({
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
      const blocks = createMemoryClientBlocks({ limits: LIMITS });
      if (c.blocked) await blocks.block(ADDRESS, 60_000, c.blocked);
      const connections = createConnectionsPerIp(1);
      if (c.atLimit) connections.open('session-0', ADDRESS);
      const onConnect = createOnConnect({
        logger,
        metrics,
        sessions: createSessionStates(),
        authVisibility: createAuthVisibility({
          serverDisabledCommands: [],
          allowInsecureAuth: false,
        }),
        isShuttingDown: () => c.shuttingDown === true,
        abuse: {
          connections,
          blocking: createClientBlocking({ blocks, limits: LIMITS, logger, metrics }),
          refusalLog: createLogLimiter(),
        },
        isRelayClient: () => c.trusted === true,
      });

      const answer = await new Promise<Error | null | undefined>((resolve) => {
        onConnect(session(), resolve);
      });

      assert.equal(answer ? (answer as SmtpServerError).responseCode : undefined, c.refusal?.[0]);
      if (c.refusal) assert.match(answer?.message ?? '', c.refusal[1]);
      assert.deepEqual(await replyCounts(metrics), c.counts);
    });
  }
});
