import { createHash, timingSafeEqual } from 'node:crypto';
import { verify as verifyArgon2 } from '@node-rs/argon2';
import { verify as verifyBcrypt } from '@node-rs/bcrypt';
import type { ConcurrencyLimit } from './concurrency-limit.ts';
import { isWithinHashLimits, PASSWORD_HASH_LIMIT } from './hash-limits.ts';
import { deriveScryptKey, parseScryptHash } from './scrypt-hash.ts';
import type { StoredSecret } from './stored-secret.ts';

/**
 * True when `password` matches `secret`. Never throws: a wrong password, a corrupt
 * hash or a library error all answer false. The hash functions run on the libuv
 * threadpool (the @node-rs bindings and node:crypto's scrypt alike), never on the
 * event loop, and at most `limit` allows at once (the process-wide semaphore unless
 * a test passes its own); a hash over the memory or time limits (hashCostProblem)
 * is never computed, even one that did not come through parseCredentials.
 * bcrypt, by design, compares only the first 72 bytes of a password.
 */
export async function verifyPassword(
  secret: StoredSecret,
  password: string,
  limit: ConcurrencyLimit = PASSWORD_HASH_LIMIT,
): Promise<boolean> {
  if (secret.kind === 'plain') return plainTextEquals(secret.value, password);
  if (!isWithinHashLimits(secret)) return false;
  try {
    return await limit.run(() => verifyHash(secret, password));
  } catch {
    return false;
  }
}

async function verifyHash(secret: StoredSecret, password: string): Promise<boolean> {
  switch (secret.kind) {
    case 'bcrypt':
      return verifyBcrypt(password, secret.value);
    case 'argon2':
      return verifyArgon2(secret.value, password);
    case 'scrypt':
      return verifyScrypt(secret.value, password);
    case 'plain':
      return plainTextEquals(secret.value, password);
  }
}

async function verifyScrypt(encoded: string, password: string): Promise<boolean> {
  const hash = parseScryptHash(encoded);
  if (hash === undefined) return false;
  const key = await deriveScryptKey(password, hash.salt, hash.key.length, hash);
  return timingSafeEqual(key, hash.key);
}

// Comparing fixed-length digests keeps the time independent of where the texts
// differ and of the stored password's length.
function plainTextEquals(stored: string, offered: string): boolean {
  const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(stored), digest(offered));
}
