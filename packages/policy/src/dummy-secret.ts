import { randomBytes, randomInt } from 'node:crypto';
import { hashMemoryBytes, hashParameters } from './hash-cost.ts';
import { isWithinHashLimits } from './hash-limits.ts';
import type { StoredSecret } from './stored-secret.ts';

/**
 * For a file without users: a hash of a random password nobody kept, made by
 * hashPassword with its default parameters (a test keeps them in step).
 */
export const DEFAULT_DUMMY_SECRET: StoredSecret = {
  kind: 'argon2',
  value:
    '$argon2id$v=19$m=19456,t=2,p=1$VxA2kIFLtNkF+ELU9IbvmQ$SUoqnv72V4/4k1AG2T4+wE8AuAjdbzpEhEsu9M0eutI',
};

/**
 * The secret an unknown username is checked against, so that probing a name
 * costs what checking a real user costs (the same algorithm and parameters take
 * the same time and memory), and the answer's timing does not tell which names
 * exist.
 *
 * It copies the parameters most users share (ties: the costlier). Not the
 * costliest entry: one user with a slow hash would make every probe of a
 * made-up name slow, handing an attacker cheap amplification, and would tell
 * apart all the users that are not that one. Not the median: with parameters
 * mixed, the median may be a set few users have. With the most common set the
 * largest group of users is indistinguishable from unknown names; a file whose
 * hashes all came from `npx smtp-relay passwd` has one set, and then every user.
 *
 * Only secrets within the memory and time limits are copied. parseCredentials
 * already refuses the others, but a map made elsewhere may hold them, and a dummy
 * over the limits would be refused by verifyPassword without being computed: the
 * instant "no such user" answer the dummy is there to prevent.
 */
export function chooseDummySecret(users: ReadonlyMap<string, StoredSecret>): StoredSecret {
  const groups = new Map<string, { count: number; secret: StoredSecret; memory: number }>();
  for (const secret of users.values()) {
    if (!isWithinHashLimits(secret)) continue;
    const parameters = hashParameters(secret);
    const group = groups.get(parameters);
    if (group) group.count++;
    else groups.set(parameters, { count: 1, secret, memory: hashMemoryBytes(secret) });
  }
  let chosen: { count: number; secret: StoredSecret; memory: number } | undefined;
  for (const group of groups.values()) {
    if (
      chosen === undefined ||
      group.count > chosen.count ||
      (group.count === chosen.count && group.memory > chosen.memory)
    ) {
      chosen = group;
    }
  }
  return chosen === undefined ? DEFAULT_DUMMY_SECRET : withFreshSalt(chosen.secret);
}

const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
// bcrypt's 22-character salt carries 128 bits: the last character's low 4 bits
// are zero, and strict decoders refuse anything else (a refusal would answer at
// once, which is exactly the timing difference the dummy is there to avoid).
const BCRYPT_LAST_SALT_CHARACTERS = '.Oeu';

/**
 * The same hash with a new random salt: parameters, salt length and key are kept,
 * so checking it costs exactly what checking the original does, and no password
 * (the user's own included) matches it.
 */
function withFreshSalt(secret: StoredSecret): StoredSecret {
  switch (secret.kind) {
    case 'plain':
      return { kind: 'plain', value: randomBytes(24).toString('base64') };
    case 'bcrypt': {
      // `$2b$12$` + 22 characters of salt + 31 of hash.
      const pick = (alphabet: string): string => alphabet.charAt(randomInt(alphabet.length));
      let salt = '';
      for (let index = 0; index < 21; index++) salt += pick(BCRYPT_ALPHABET);
      salt += pick(BCRYPT_LAST_SALT_CHARACTERS);
      return { kind: 'bcrypt', value: secret.value.slice(0, 7) + salt + secret.value.slice(29) };
    }
    case 'argon2':
    case 'scrypt': {
      // PHC: the salt is the second-to-last field, Base64 without padding.
      const fields = secret.value.split('$');
      const salt = fields.at(-2) ?? '';
      const bytes = Math.floor((salt.length * 3) / 4);
      fields[fields.length - 2] = randomBytes(bytes).toString('base64').replace(/=+$/, '');
      return { kind: secret.kind, value: fields.join('$') };
    }
  }
}
