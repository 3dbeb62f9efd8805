import { hash as hashArgon2 } from '@node-rs/argon2';
import { hash as hashBcrypt } from '@node-rs/bcrypt';
import { createScryptHash, type ScryptParameters } from './scrypt-hash.ts';

export type PasswordHashAlgorithm = 'argon2id' | 'bcrypt' | 'scrypt';

/**
 * OWASP Password Storage Cheat Sheet, argon2id: "a minimum configuration of 19 MiB of
 * memory, an iteration count of 2, and 1 degree of parallelism". The binding's default
 * algorithm is argon2id (its `Algorithm` is a const enum, unusable under
 * isolatedModules), and it writes a 16-byte random salt and a 32-byte hash.
 */
export const ARGON2ID_PARAMETERS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** OWASP asks for at least 10; 12 costs about a quarter of a second per AUTH. */
export const BCRYPT_COST = 12;

/**
 * OWASP Password Storage Cheat Sheet, scrypt: "N=2^16 (64 MiB), r=8 (1024 bytes),
 * p=2", the listed equivalent of N = 2^17, p = 1 (128 MiB) that fits the 64 MiB a
 * check may take (MAX_HASH_MEMORY_BYTES); p runs sequentially, so it costs time,
 * not memory.
 */
export const SCRYPT_PARAMETERS: ScryptParameters = { logN: 16, r: 8, p: 2 };

// bcrypt ignores everything after 72 bytes; refusing is kinder than a hash that
// silently accepts any password sharing the first 72 bytes.
const BCRYPT_MAX_PASSWORD_BYTES = 72;

/**
 * Hashes a password for the credentials file (`npx smtp-relay passwd`). The result
 * is one token without white space, accepted by parseCredentials and verifyPassword.
 */
export async function hashPassword(
  password: string,
  algorithm: PasswordHashAlgorithm = 'argon2id',
): Promise<string> {
  if (password === '') throw new RangeError('the password must not be empty');
  switch (algorithm) {
    case 'argon2id':
      return hashArgon2(password, ARGON2ID_PARAMETERS);
    case 'bcrypt':
      if (Buffer.byteLength(password, 'utf8') > BCRYPT_MAX_PASSWORD_BYTES) {
        throw new RangeError(
          `bcrypt uses only the first ${BCRYPT_MAX_PASSWORD_BYTES} bytes of a password; ` +
            'use argon2id or scrypt for a longer one',
        );
      }
      return hashBcrypt(password, { cost: BCRYPT_COST });
    case 'scrypt':
      return createScryptHash(password, SCRYPT_PARAMETERS);
  }
}
