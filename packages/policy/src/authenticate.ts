import type { StoredSecret, StoredSecretKind } from './stored-secret.ts';
import { verifyPassword } from './verify-password.ts';

export type AuthenticationResult = 'ok' | 'bad-credentials';

/**
 * Hashes of a random password nobody kept, made by hashPassword with the current
 * parameters (a test keeps them in step). An unknown username is checked against one
 * of these, so answering "no such user" costs as long as a wrong password does.
 */
export const DUMMY_SECRETS: Readonly<Record<StoredSecretKind, StoredSecret>> = {
  argon2: {
    kind: 'argon2',
    value:
      '$argon2id$v=19$m=19456,t=2,p=1$VxA2kIFLtNkF+ELU9IbvmQ$SUoqnv72V4/4k1AG2T4+wE8AuAjdbzpEhEsu9M0eutI',
  },
  bcrypt: { kind: 'bcrypt', value: '$2b$12$8KkKyO/1Lu/GesdUv3VHtuLGng7.tvWLPHlEdJTUqB9OPIfwiC/Pu' },
  scrypt: {
    kind: 'scrypt',
    value:
      '$scrypt$ln=17,r=8,p=1$kZNfIph1RpiKJGmmpiP8Xw$40fKdwrQcFsQCaofTjDFc3rx2/vUU5pSXYnJzMubFa8',
  },
  plain: { kind: 'plain', value: 'no user has this password: it is only timed' },
};

/**
 * Checks a username and password against the users of a credentials file. Unknown
 * users are verified against a dummy secret of the kind most users have, so timing
 * does not reveal which usernames exist (a file mixing kinds can still reveal the
 * kind, never more).
 */
export async function authenticate(
  users: ReadonlyMap<string, StoredSecret>,
  username: string,
  password: string,
): Promise<AuthenticationResult> {
  const secret = users.get(username);
  if (secret === undefined) {
    await verifyPassword(DUMMY_SECRETS[mostCommonKind(users)], password);
    return 'bad-credentials';
  }
  return (await verifyPassword(secret, password)) ? 'ok' : 'bad-credentials';
}

function mostCommonKind(users: ReadonlyMap<string, StoredSecret>): StoredSecretKind {
  const counts = new Map<StoredSecretKind, number>();
  for (const { kind } of users.values()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  let best: StoredSecretKind = 'argon2';
  let bestCount = 0;
  for (const [kind, count] of counts) {
    if (count > bestCount) [best, bestCount] = [kind, count];
  }
  return best;
}
