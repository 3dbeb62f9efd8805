import {
  requireClientAddress,
  type AuthFailureLimits,
  type BlockOutcome,
  type ClientBlock,
  type ClientBlocks,
} from './client-blocks.ts';

export interface MemoryClientBlocksOptions {
  readonly limits: AuthFailureLimits;
  /** Clock, epoch ms (default Date.now): tests move it instead of waiting. */
  readonly now?: () => number;
  /**
   * Most addresses with failures counted, and most blocks, held at once (each;
   * default 10 000). Ingress keeps this store for as long as Redis is away, so
   * addresses an attacker makes up must not grow it without bound.
   */
  readonly maxAddresses?: number;
}

/** ClientBlocks plus what only a store in memory can do. */
export interface MemoryClientBlocks extends ClientBlocks {
  /** Forgets every block and failure (ingress: Redis answers again and decides alone). */
  clear(): void;
  /** Entries held now, ended ones not yet pruned included: what the memory bound is about. */
  tracked(): { readonly blocks: number; readonly failures: number };
}

const DEFAULT_MAX_ADDRESSES = 10_000;
/** Blocks are not kept in order of their end: a full pass over them, at most this often. */
const BLOCK_SWEEP_INTERVAL_MS = 60_000;

/**
 * ClientBlocks in this process's memory, with the same rules as the Redis store:
 * the fake for unit tests, and ingress's fallback while Redis cannot be reached.
 * Unlike Redis, nothing expires by itself, so each write prunes what has ended:
 * failure counters from the oldest on (the map is kept in order of each address's
 * newest failure, so pruning stops at the first live one), ended blocks in a full
 * pass once a minute or when the cap is reached. At the cap, the address that
 * failed least recently loses its counter and the block ending soonest is dropped:
 * the least harm a forgotten entry can do.
 */
export function createMemoryClientBlocks(options: MemoryClientBlocksOptions): MemoryClientBlocks {
  const { limits } = options;
  const now = options.now ?? Date.now;
  const maxAddresses = Math.max(1, options.maxAddresses ?? DEFAULT_MAX_ADDRESSES);
  const blocks = new Map<string, ClientBlock>();
  const failures = new Map<string, number[]>();
  let blocksSweptAt = now();

  function current(address: string): ClientBlock | undefined {
    const block = blocks.get(address);
    if (block !== undefined && block.until <= now()) {
      blocks.delete(address);
      return undefined;
    }
    return block;
  }

  function prune(at: number): void {
    for (const [address, times] of failures) {
      if ((times.at(-1) ?? at) > at - limits.windowMs) break;
      failures.delete(address);
    }
    if (blocks.size < maxAddresses && at - blocksSweptAt < BLOCK_SWEEP_INTERVAL_MS) return;
    blocksSweptAt = at;
    for (const [address, block] of blocks) {
      if (block.until <= at) blocks.delete(address);
    }
  }

  function soonestEnding(): string | undefined {
    let soonest: ClientBlock | undefined;
    for (const block of blocks.values()) {
      if (soonest === undefined || block.until < soonest.until) soonest = block;
    }
    return soonest?.address;
  }

  /** Frees a slot for a new address when the map is full (call after prune). */
  function makeRoom<V>(map: Map<string, V>, address: string, victim: () => string | undefined) {
    if (map.has(address) || map.size < maxAddresses) return;
    const evicted = victim();
    if (evicted !== undefined) map.delete(evicted);
  }

  function setBlock(address: string, ms: number, reason: ClientBlock['reason']): BlockOutcome {
    const at = now();
    prune(at);
    const until = at + Math.max(1, Math.round(ms));
    const existing = current(address);
    if (existing !== undefined && existing.until >= until) {
      return { block: existing, created: false };
    }
    makeRoom(blocks, address, soonestEnding);
    const block: ClientBlock = { address, reason, until };
    blocks.set(address, block);
    return { block, created: true };
  }

  return {
    isBlocked: (address) => settle(() => current(requireClientAddress(address))),
    list: () =>
      settle(() =>
        [...blocks.keys()]
          .map(current)
          .filter((block): block is ClientBlock => block !== undefined)
          .sort((a, b) => a.until - b.until),
      ),
    lift: (address) =>
      settle(() => {
        const canonical = requireClientAddress(address);
        const had = current(canonical) !== undefined;
        blocks.delete(canonical);
        failures.delete(canonical);
        return had;
      }),
    recordAuthFailure: (address) =>
      settle(() => {
        const canonical = requireClientAddress(address);
        // Already blocked: answered with the block, uncounted (as the Redis store).
        const existing = current(canonical);
        if (existing !== undefined) {
          return { failures: limits.maxFailures, blocked: { block: existing, created: false } };
        }
        const at = now();
        prune(at);
        const recent = (failures.get(canonical) ?? []).filter((t) => t > at - limits.windowMs);
        recent.push(at);
        // Set again below, so that it moves to the end: the map stays in order of newest failure.
        failures.delete(canonical);
        if (recent.length < limits.maxFailures) {
          makeRoom(failures, canonical, () => failures.keys().next().value);
          failures.set(canonical, recent.slice(-limits.maxFailures));
          return { failures: recent.length, blocked: undefined };
        }
        return { failures: recent.length, blocked: setBlock(canonical, limits.blockMs, 'auth') };
      }),
    block: (address, ms, reason) =>
      settle(() => setBlock(requireClientAddress(address), ms, reason)),
    clear() {
      blocks.clear();
      failures.clear();
    },
    tracked: () => ({ blocks: blocks.size, failures: failures.size }),
  };
}

/** Runs `compute` as the Redis store would: a throw becomes a rejection. */
function settle<T>(compute: () => T): Promise<T> {
  return new Promise((resolve) => {
    resolve(compute());
  });
}
