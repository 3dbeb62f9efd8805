import type { ConcurrencyLimit } from './concurrency-limit.ts';
import { chooseDummySecret } from './dummy-secret.ts';
import type { StoredSecret } from './stored-secret.ts';
import { verifyPassword } from './verify-password.ts';

export type AuthenticationResult = 'ok' | 'bad-credentials';

export interface AuthenticateOptions {
  /** The semaphore hash checks go through; default: the process-wide one. */
  readonly limit?: ConcurrencyLimit;
}

// One dummy per loaded user list, chosen when it is first needed: a reload makes
// a new map and so a new dummy that follows the new file's parameters.
const dummies = new WeakMap<ReadonlyMap<string, StoredSecret>, StoredSecret>();

function dummyFor(users: ReadonlyMap<string, StoredSecret>): StoredSecret {
  let dummy = dummies.get(users);
  if (dummy === undefined) {
    dummy = chooseDummySecret(users);
    dummies.set(users, dummy);
  }
  return dummy;
}

/**
 * Checks a username and password against the users of a credentials file. An
 * unknown username is checked against a dummy hash with the parameters most users
 * have (chooseDummySecret), through the same semaphore, so it costs the time and
 * memory a known user costs and its timing does not reveal which names exist.
 */
export async function authenticate(
  users: ReadonlyMap<string, StoredSecret>,
  username: string,
  password: string,
  options: AuthenticateOptions = {},
): Promise<AuthenticationResult> {
  const secret = users.get(username);
  if (secret === undefined) {
    await verifyPassword(dummyFor(users), password, options.limit);
    return 'bad-credentials';
  }
  return (await verifyPassword(secret, password, options.limit)) ? 'ok' : 'bad-credentials';
}
