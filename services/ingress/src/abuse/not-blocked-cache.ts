/**
 * Addresses the shared store recently said are not blocked, so that a device
 * opening one connection per message costs no Redis round trip per connection
 * (docs/reference.md "Abuse protection": a block made on another replica
 * reaches this one's connection check within this time). Blocks themselves are
 * never cached: a lifted block ends at once. Bounded: when full, the oldest
 * entries go first.
 */
export interface NotBlockedCache {
  /** True while the address was found not blocked less than `ttlMs` ago. */
  has(address: string): boolean;
  /** Marks the start of a look-up whose answer may be remembered. */
  lookupStarted(): LookupTicket;
  /**
   * Remembers the address as not blocked, unless something was forgotten since
   * the look-up started (its answer may predate a block made meanwhile).
   */
  remember(address: string, ticket: LookupTicket): void;
  /** This process is about to count or make a block for the address. */
  forget(address: string): void;
}

interface LookupTicket {
  readonly generation: number;
}

export function createNotBlockedCache(options: {
  readonly ttlMs: number;
  readonly maxEntries: number;
  readonly now?: () => number;
}): NotBlockedCache {
  const now = options.now ?? Date.now;
  /** Address to the time its answer expires; Map order is insertion order. */
  const expiries = new Map<string, number>();
  /** Counts forget() calls: a look-up that overlapped one is not remembered. */
  let generation = 0;
  return {
    lookupStarted: () => ({ generation }),
    has(address) {
      const expiry = expiries.get(address);
      if (expiry === undefined) return false;
      if (expiry > now()) return true;
      expiries.delete(address);
      return false;
    },
    remember(address, ticket) {
      if (options.ttlMs <= 0 || ticket.generation !== generation) return;
      expiries.delete(address);
      if (expiries.size >= options.maxEntries) {
        const oldest = expiries.keys().next();
        if (oldest.done !== true) expiries.delete(oldest.value);
      }
      expiries.set(address, now() + options.ttlMs);
    },
    forget(address) {
      generation++;
      expiries.delete(address);
    },
  };
}
