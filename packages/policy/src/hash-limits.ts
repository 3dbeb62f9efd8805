import { createConcurrencyLimit, type ConcurrencyLimit } from './concurrency-limit.ts';
import { hashMemoryBytes, hashTimeCost } from './hash-cost.ts';
import type { StoredSecret, StoredSecretKind } from './stored-secret.ts';

/**
 * The most memory one password check may take (README "Security": 64 MiB).
 * A hash asking for more (a typo in hand-edited parameters, a hash made for
 * another machine, N = 2^20 for scrypt) would let a few parallel AUTHs exhaust a
 * container's memory, so parseCredentials refuses such a line at load.
 *
 * The 64 KiB above 64 MiB is room for bookkeeping, not for a larger table: scrypt
 * with N = 2^16, r = 8 (OWASP's 64 MiB option, passlib's default) allocates its
 * 128·N·r-byte table plus 128·r·(p + 2) bytes, and should not be refused for it.
 */
export const MAX_HASH_MEMORY_MIB = 64;
export const MAX_HASH_MEMORY_BYTES = MAX_HASH_MEMORY_MIB * 1024 * 1024 + 64 * 1024;

/**
 * The most time one password check may take, per algorithm in its own unit
 * (hashTimeCost). With MAX_CONCURRENT_HASH_CHECKS slots per process, one hash
 * that takes minutes (bcrypt cost 25, argon2 t = 100000: both well-formed, both
 * tiny in memory) holds a slot for minutes per AUTH, and a few AUTHs naming that
 * user stall every login; so such a line is refused at load, like a hash over the
 * memory cap. Each limit keeps the costliest accepted check at about 2 s or less
 * on one core of a server-class Xeon, several times what `npx smtp-relay passwd`
 * makes (measured there: bcrypt cost 12 0.18 s, 15 1.4 s; scrypt N·r·p = 2^20
 * 0.25 s, 2^23 1.8 s; argon2 m = 19 MiB t = 2 0.01 s, m = 64 MiB t = 10 0.3 s),
 * and accepts what common tools make by default:
 * - bcrypt `cost` 15: ours 12; htpasswd -B 5; doveadm pw BLF-CRYPT 5; PHP 10
 *   (12 from 8.4); passlib and Python bcrypt 12; Spring 10.
 * - argon2 `t` 10: ours 2; RFC 9106's second recommendation and the argon2 CLI
 *   3; PHP 4; libsodium's interactive limits 2 (argon2id) and 4 (argon2i). Time
 *   grows with t·m and m is capped above; p only splits m into lanes (p = 8192
 *   measured no slower than p = 1), so it needs no cap of its own.
 * - scrypt `N·r·p` 2^23: ours 2^20 (N = 2^16, r = 8, p = 2); passlib 2^19;
 *   Django 2^17; RFC 7914's examples 2^17 (its 2^23 one needs 1 GiB, over the
 *   memory cap). The memory cap bounds N·r to 2^19, so at that size this allows
 *   p up to 16: p is the one parameter the memory cap does not see, and it
 *   multiplies the time.
 */
const MAX_HASH_TIME_COST: Readonly<Record<Exclude<StoredSecretKind, 'plain'>, number>> = {
  bcrypt: 15,
  argon2: 10,
  scrypt: 2 ** 23,
};

const inMiB = (bytes: number): string =>
  `${String(Math.round((bytes / 1024 / 1024) * 10) / 10)} MiB`;

/**
 * Why checking this secret would cost more memory or time than a check may take,
 * or undefined when it is within both limits. Names the algorithm and its
 * parameters, never the hash itself.
 */
export function hashCostProblem(secret: StoredSecret): string | undefined {
  const memory = hashMemoryBytes(secret);
  if (!(memory <= MAX_HASH_MEMORY_BYTES)) {
    return (
      `the ${secret.kind} hash needs ${inMiB(memory)} of memory per check, more than the ` +
      `${String(MAX_HASH_MEMORY_MIB)} MiB allowed`
    );
  }
  if (secret.kind === 'plain') return undefined;
  const time = hashTimeCost(secret);
  const max = MAX_HASH_TIME_COST[secret.kind];
  if (time === undefined || time.value <= max) return undefined;
  return (
    `the ${secret.kind} hash has ${time.parameter} = ${String(time.value)}, more than the ` +
    `${String(max)} allowed: each check would take too long`
  );
}

/** True when a check of this secret stays within the memory and time limits. */
export function isWithinHashLimits(secret: StoredSecret): boolean {
  return hashCostProblem(secret) === undefined;
}

/** README "Security": at most two password hashes are checked at once per process. */
export const MAX_CONCURRENT_HASH_CHECKS = 2;

/**
 * The one semaphore every hash check of this process goes through (verifyPassword's
 * default), so memory for hashing stays below MAX_CONCURRENT_HASH_CHECKS ·
 * MAX_HASH_MEMORY_BYTES however many AUTHs arrive at once. Process-wide on purpose:
 * the bound is on the process's memory, whoever asks for a check.
 */
export const PASSWORD_HASH_LIMIT: ConcurrencyLimit = createConcurrencyLimit(
  MAX_CONCURRENT_HASH_CHECKS,
);
