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
}

/**
 * ClientBlocks in this process's memory, with the same rules as the Redis store:
 * the fake for unit tests, and ingress's fallback while Redis cannot be reached.
 */
export function createMemoryClientBlocks(options: MemoryClientBlocksOptions): ClientBlocks {
  const { limits } = options;
  const now = options.now ?? Date.now;
  const blocks = new Map<string, ClientBlock>();
  const failures = new Map<string, number[]>();

  function current(address: string): ClientBlock | undefined {
    const block = blocks.get(address);
    if (block !== undefined && block.until <= now()) {
      blocks.delete(address);
      return undefined;
    }
    return block;
  }

  function setBlock(address: string, ms: number, reason: ClientBlock['reason']): BlockOutcome {
    const until = now() + Math.max(1, Math.round(ms));
    const existing = current(address);
    if (existing !== undefined && existing.until >= until) {
      return { block: existing, created: false };
    }
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
        const recent = (failures.get(canonical) ?? []).filter((t) => t > at - limits.windowMs);
        recent.push(at);
        if (recent.length < limits.maxFailures) {
          failures.set(canonical, recent.slice(-limits.maxFailures));
          return { failures: recent.length, blocked: undefined };
        }
        failures.delete(canonical);
        return { failures: recent.length, blocked: setBlock(canonical, limits.blockMs, 'auth') };
      }),
    block: (address, ms, reason) =>
      settle(() => setBlock(requireClientAddress(address), ms, reason)),
  };
}

/** Runs `compute` as the Redis store would: a throw becomes a rejection. */
function settle<T>(compute: () => T): Promise<T> {
  return new Promise((resolve) => {
    resolve(compute());
  });
}
