import { parseOptions as parseArgon2Options } from '@node-rs/argon2';
import { parseScryptHash, scryptMemoryBytes } from './scrypt-hash.ts';
import type { StoredSecret } from './stored-secret.ts';

// Blowfish state: 18 P-array words and four 256-word S-boxes, 32 bits each.
// bcrypt's cost factor repeats the key schedule; it never grows the state.
const BCRYPT_STATE_BYTES = (18 + 4 * 256) * 4;

/**
 * Bytes one check of this secret allocates: argon2 its `m` KiB, scrypt what
 * OpenSSL allocates for N, r and p, bcrypt its fixed Blowfish state, plain text
 * nothing worth counting. Infinity for a hash whose parameters cannot be read.
 */
export function hashMemoryBytes(secret: StoredSecret): number {
  switch (secret.kind) {
    case 'plain':
      return 0;
    case 'bcrypt':
      return BCRYPT_STATE_BYTES;
    case 'argon2':
      try {
        return parseArgon2Options(secret.value).memoryCost * 1024;
      } catch {
        return Number.POSITIVE_INFINITY;
      }
    case 'scrypt': {
      const hash = parseScryptHash(secret.value);
      return hash === undefined ? Number.POSITIVE_INFINITY : scryptMemoryBytes(hash);
    }
  }
}

/** The parameter one check's time grows with, as the hash writes it. */
export interface HashTimeCost {
  /**
   * `cost` for bcrypt (log2 of its key-schedule rounds: +1 doubles the time),
   * `t` for argon2 (passes over its `m` KiB), `N·r·p` for scrypt (each of the p
   * lanes runs after the other, each mixing N·r blocks).
   */
  readonly parameter: 'cost' | 't' | 'N·r·p';
  /** Infinity for a hash whose parameters cannot be read. */
  readonly value: number;
}

/**
 * How much time one check of this secret takes, in its algorithm's own unit
 * (so only comparable within one algorithm); undefined for plain text, whose
 * check is one SHA-256.
 */
export function hashTimeCost(secret: StoredSecret): HashTimeCost | undefined {
  switch (secret.kind) {
    case 'plain':
      return undefined;
    case 'bcrypt':
      // `$2b$12$`: the stored-secret pattern allows only two digits here.
      return { parameter: 'cost', value: Number(secret.value.slice(4, 6)) };
    case 'argon2':
      try {
        return { parameter: 't', value: parseArgon2Options(secret.value).timeCost };
      } catch {
        return { parameter: 't', value: Number.POSITIVE_INFINITY };
      }
    case 'scrypt': {
      const hash = parseScryptHash(secret.value);
      return {
        parameter: 'N·r·p',
        value: hash === undefined ? Number.POSITIVE_INFINITY : 2 ** hash.logN * hash.r * hash.p,
      };
    }
  }
}

/**
 * What decides how long a check of this secret takes and how much memory it
 * needs: the algorithm and its parameters, with salt and key reduced to their
 * lengths. Two secrets with the same text here cost the same to check.
 */
export function hashParameters(secret: StoredSecret): string {
  switch (secret.kind) {
    case 'plain':
      return 'plain';
    case 'bcrypt':
      // `$2b$12$`: $2a$, $2b$ and $2y$ of one cost run the same code.
      return `bcrypt$${secret.value.slice(4, 6)}`;
    case 'argon2':
    case 'scrypt': {
      // PHC strings: `$<id>$<parameters...>$<salt>$<key>`.
      const fields = secret.value.split('$');
      const [salt = '', key = ''] = fields.slice(-2);
      return [...fields.slice(0, -2), `salt:${salt.length}`, `key:${key.length}`].join('$');
    }
  }
}
