import { withTimeout } from '@smtp-relay/observability';
import {
  createMemoryClientBlocks,
  type AuthFailureLimits,
  type BlockOutcome,
  type ClientBlock,
  type ClientBlocks,
} from '@smtp-relay/store';
import { createNotBlockedCache } from './not-blocked-cache.ts';

/** The part of a pino logger this module uses. */
export interface BlockingLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ClientBlockingDependencies {
  /** The shared store (Redis): blocks count across every ingress replica. */
  readonly blocks: ClientBlocks;
  readonly limits: AuthFailureLimits;
  /** Process logger, for the one line when Redis goes away and comes back. */
  readonly logger: BlockingLogger;
  readonly metrics: { readonly clientBlocks: { inc(labels: { reason: string }): void } };
  /** Longest wait for Redis before the local fallback answers (default 2000 ms). */
  readonly timeoutMs?: number;
  /** Clock of the fallback store and of the not-blocked cache (tests). */
  readonly now?: () => number;
  /**
   * How long a "not blocked" answer from the shared store is reused for
   * connections from that address (default 1000 ms; 0 asks Redis every time).
   */
  readonly notBlockedTtlMs?: number;
}

/** What the SMTP hooks ask; `log` is the session's logger. */
export interface ClientBlocking {
  /** The block in force for the address, if any, as the shared store says now. */
  check(address: string): Promise<ClientBlock | undefined>;
  /**
   * The same for a new connection: a "not blocked" answer is reused for a
   * second (notBlockedTtlMs), so one-message-per-connection clients cost no
   * Redis round trip each. AUTH asks `check`, never this.
   */
  checkOnConnect(address: string): Promise<ClientBlock | undefined>;
  /** Counts a failed AUTH; the block in force once the address is blocked. */
  authFailed(address: string, log: BlockingLogger): Promise<ClientBlock | undefined>;
  /** A filter rule with the S flag matched (`rule` is its line number). */
  blockForFilter(address: string, ms: number, rule: number, log: BlockingLogger): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 2000;
const DEFAULT_NOT_BLOCKED_TTL_MS = 1000;
/** Bounds the cache's memory: one entry per recently seen address. */
const NOT_BLOCKED_MAX_ENTRIES = 10_000;

/**
 * Blocks live in Redis so that every replica refuses an address another one
 * blocked. When Redis cannot be reached (or does not answer within timeoutMs),
 * blocking FAILS OPEN to a store in this process's memory rather than closed:
 * refusing every connection while Redis is away would lock out every device,
 * including the ones whose mail ingress could otherwise still take once Redis is
 * back (and a down Redis already answers 451 4.3.0 to each message). The local
 * store keeps password guessing bounded per replica meanwhile (same limits, a
 * bounded number of addresses); its blocks are consulted only while Redis is
 * unreachable, and are dropped, not carried over, once Redis answers again.
 * One error line when Redis goes away and one info line when it is back.
 */
export function createClientBlocking(deps: ClientBlockingDependencies): ClientBlocking {
  const timeoutMs = deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const local = createMemoryClientBlocks({
    limits: deps.limits,
    ...(deps.now ? { now: deps.now } : {}),
  });
  let unavailable = false;
  const notBlocked = createNotBlockedCache({
    ttlMs: deps.notBlockedTtlMs ?? DEFAULT_NOT_BLOCKED_TTL_MS,
    maxEntries: NOT_BLOCKED_MAX_ENTRIES,
    ...(deps.now ? { now: deps.now } : {}),
  });

  async function shared<T>(work: (blocks: ClientBlocks) => Promise<T>, what: string): Promise<T> {
    try {
      const value = await withTimeout(work(deps.blocks), timeoutMs, (): never => {
        throw new Error(`no answer within ${String(timeoutMs)} ms`);
      });
      if (unavailable) {
        unavailable = false;
        // Redis decides alone again: what was counted meanwhile is not carried over,
        // and must not come back at the next outage (nor hold memory until then).
        local.clear();
        deps.logger.info(
          { event: 'smtp.client.blocks-restored' },
          'client blocks are shared through Redis again',
        );
      }
      return value;
    } catch (error) {
      if (!unavailable) {
        unavailable = true;
        deps.logger.error(
          { event: 'smtp.client.blocks-unavailable', err: error, during: what },
          'cannot reach Redis for client blocks: this process counts AUTH failures and ' +
            'blocks on its own until it can (connections are not refused for it)',
        );
      }
      return work(local);
    }
  }

  function report(outcome: BlockOutcome, log: BlockingLogger, details: object): void {
    if (!outcome.created) return;
    deps.metrics.clientBlocks.inc({ reason: outcome.block.reason });
    log.warn(
      {
        event: 'smtp.client.blocked',
        address: outcome.block.address,
        reason: outcome.block.reason,
        until: new Date(outcome.block.until).toISOString(),
        ...details,
      },
      'client address blocked',
    );
  }

  return {
    check: (address) => shared((blocks) => blocks.isBlocked(address), 'connect'),
    async checkOnConnect(address) {
      if (notBlocked.has(address)) return undefined;
      const ticket = notBlocked.lookupStarted();
      const block = await shared((blocks) => blocks.isBlocked(address), 'connect');
      // Only the shared store's answer is reused, never the fallback's.
      if (block === undefined && !unavailable) notBlocked.remember(address, ticket);
      return block;
    },
    async authFailed(address, log) {
      notBlocked.forget(address);
      const outcome = await shared((blocks) => blocks.recordAuthFailure(address), 'auth');
      if (outcome.blocked === undefined) return undefined;
      report(outcome.blocked, log, { failures: outcome.failures });
      return outcome.blocked.block;
    },
    async blockForFilter(address, ms, rule, log) {
      notBlocked.forget(address);
      const outcome = await shared((blocks) => blocks.block(address, ms, 'filter'), 'filter');
      report(outcome, log, { rule });
    },
  };
}
