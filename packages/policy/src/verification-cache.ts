import { createHmac, randomBytes } from 'node:crypto';
import type { StoredSecret } from './stored-secret.ts';

// A bcrypt (cost 12) or scrypt check costs ~100-300 ms of CPU, and devices such
// as printers authenticate once per message: without a cache, AUTH would bound
// the relay's throughput. Like Dovecot's auth cache, successful checks are
// remembered for a while. Only successes: a wrong password is always checked
// in full, so guessing stays as slow as the hash makes it. Entries are keyed
// HMACs (a random key per process) of user, password and the stored secret,
// so the cache holds no password, and a changed secret misses at once.

export interface VerificationCache {
  has(username: string, password: string, secret: StoredSecret): boolean;
  add(username: string, password: string, secret: StoredSecret): void;
  clear(): void;
}

export interface VerificationCacheOptions {
  readonly maxEntries?: number;
  readonly ttlMs?: number;
  readonly now?: () => number;
}

export function createVerificationCache(options: VerificationCacheOptions = {}): VerificationCache {
  const maxEntries = options.maxEntries ?? 10_000;
  const ttlMs = options.ttlMs ?? 15 * 60_000;
  const now = options.now ?? Date.now;
  const hmacKey = randomBytes(32);
  // Insertion order = age: the first entry is the oldest.
  const expiries = new Map<string, number>();

  const keyOf = (username: string, password: string, secret: StoredSecret): string =>
    createHmac('sha256', hmacKey)
      .update(`${username}\0${password}\0${secret.value}`)
      .digest('base64');

  return {
    has(username, password, secret) {
      const key = keyOf(username, password, secret);
      const expiry = expiries.get(key);
      if (expiry === undefined) return false;
      if (expiry > now()) return true;
      expiries.delete(key);
      return false;
    },
    add(username, password, secret) {
      const key = keyOf(username, password, secret);
      expiries.delete(key);
      expiries.set(key, now() + ttlMs);
      while (expiries.size > maxEntries) {
        const oldest = expiries.keys().next();
        if (oldest.done) break;
        expiries.delete(oldest.value);
      }
    },
    clear() {
      expiries.clear();
    },
  };
}
