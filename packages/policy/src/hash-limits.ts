import { createConcurrencyLimit, type ConcurrencyLimit } from './concurrency-limit.ts';

/**
 * The most memory one password check may take (SPEC "Abuse protection": 64 MiB).
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

/** SPEC: "At most two password hashes are checked at once per process (others wait)". */
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
