import { parseOptions as parseArgon2Options } from '@node-rs/argon2';
import { parseScryptHash } from './scrypt-hash.ts';

/**
 * A password as the credentials file stores it: a hash, or (Mercury compatibility)
 * the password itself. `value` is the text exactly as written in the file.
 */
export type StoredSecret =
  | { readonly kind: 'bcrypt'; readonly value: string }
  | { readonly kind: 'argon2'; readonly value: string }
  | { readonly kind: 'scrypt'; readonly value: string }
  | { readonly kind: 'plain'; readonly value: string };

export type StoredSecretKind = StoredSecret['kind'];

// Modular crypt format: $2a$/$2b$/$2y$, two-digit cost 04..31, then 22 characters of
// salt and 31 of hash in bcrypt's own Base64 alphabet. $2x$ (the buggy pre-2011
// crypt_blowfish variant) is deliberately not accepted.
const BCRYPT_PATTERN = /^\$2[aby]\$(?:0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;

const ARGON2_PREFIX = /^\$argon2(?:id|i|d)\$/;

function isArgon2Hash(text: string): boolean {
  if (!ARGON2_PREFIX.test(text)) return false;
  // The library's own PHC parser decides, so "well-formed" means "verify can use it".
  try {
    parseArgon2Options(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads a secret from the credentials file. Text starting with `$` must be a
 * supported hash (undefined otherwise): a typo in a hash must not silently turn it
 * into a plain-text password. Anything else is a Mercury-style plain-text password.
 * Well-formed is not affordable: parseCredentials also checks hashCostProblem.
 */
export function readStoredSecret(text: string): StoredSecret | undefined {
  if (!text.startsWith('$')) return { kind: 'plain', value: text };
  if (BCRYPT_PATTERN.test(text)) return { kind: 'bcrypt', value: text };
  if (isArgon2Hash(text)) return { kind: 'argon2', value: text };
  if (parseScryptHash(text) !== undefined) return { kind: 'scrypt', value: text };
  return undefined;
}
