import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMetrics } from '@smtp-relay/observability';
import type { BlockReason } from '@smtp-relay/store';
import { createConnectionsPerIp } from '../src/abuse/connections-per-ip.ts';
import { createLogLimiter } from '../src/abuse/log-limiter.ts';
import { createAuthVisibility } from '../src/auth-visibility.ts';
import { createOnConnect } from '../src/hooks/on-connect.ts';
import { createSessionStates } from '../src/session-state.ts';
import {
  assertRefusal,
  capturedLogger,
  CLIENT_ADDRESS,
  memoryBlocking,
  replyCounts,
  smtpSession,
} from './hook-fixtures.ts';

// The connect hook answers 421 instead of the greeting, or lets the client in.
// Each refusal is counted once: connections_refused by reason, and its class.

/** A session before the greeting: no command yet. */
const session = () =>
  smtpSession({
    openingCommand: '',
    hostNameAppearsAs: '',
    transmissionType: 'SMTP',
    transaction: 0,
  });

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
      const { logger } = capturedLogger();
      const metrics = createMetrics();
      const { blocks, blocking } = memoryBlocking(logger, metrics);
      if (c.blocked) await blocks.block(CLIENT_ADDRESS, 60_000, c.blocked);
      const connections = createConnectionsPerIp(1);
      if (c.atLimit) connections.open('session-0', CLIENT_ADDRESS);
      const onConnect = createOnConnect({
        logger,
        metrics,
        sessions: createSessionStates(),
        authVisibility: createAuthVisibility({
          serverDisabledCommands: [],
          allowInsecureAuth: false,
        }),
        isShuttingDown: () => c.shuttingDown === true,
        abuse: { connections, blocking, refusalLog: createLogLimiter() },
        isRelayClient: () => c.trusted === true,
      });

      const answer = await new Promise<Error | null | undefined>((resolve) => {
        onConnect(session(), resolve);
      });

      assertRefusal(answer, c.refusal);
      assert.deepEqual(await replyCounts(metrics), c.counts);
    });
  }
});
