import type { Redis } from 'ioredis';

// Where the sender replicas share OAuth2 state: the current access token, the
// refresh lock (one replica asks the endpoint at a time), a rotated refresh
// token, and the last failure (so N replicas do not each hammer a failing
// endpoint). Key names are built here and nowhere else.

export interface CachedAccessToken {
  readonly token: string;
  /** ms since epoch when the endpoint says it expires */
  readonly expiresAt: number;
  readonly scope: string | undefined;
}

interface StoredFailure {
  readonly reason: string;
  readonly message: string;
}

export interface TokenStore {
  readAccess(): Promise<CachedAccessToken | undefined>;
  /** Kept for `ttlMs` (until shortly before it expires). */
  writeAccess(token: CachedAccessToken, ttlMs: number): Promise<void>;
  /** Removes the cached token only if it is still `token` (a rejected one). */
  discardAccess(token: string): Promise<void>;
  /** true when this owner holds the refresh lock now */
  acquireLock(owner: string, ttlMs: number): Promise<boolean>;
  releaseLock(owner: string): Promise<void>;
  readRefreshToken(): Promise<string | undefined>;
  writeRefreshToken(token: string): Promise<void>;
  /** Writes a rotated refresh token only while `owner` still holds the lock; false otherwise. */
  writeRefreshTokenIfOwner(owner: string, token: string): Promise<boolean>;
  readFailure(): Promise<StoredFailure | undefined>;
  writeFailure(failure: StoredFailure, ttlMs: number): Promise<void>;
  clearFailure(): Promise<void>;
}

/** `<prefix>:oauth2:<credential id>:<part>`: a credential id per grant, client and mailbox. */
export function tokenKeys(prefix: string, credentialId: string) {
  const base = `${prefix}:oauth2:${credentialId}`;
  return {
    access: `${base}:access`,
    lock: `${base}:lock`,
    refresh: `${base}:refresh`,
    failure: `${base}:failure`,
  } as const;
}

// Compare-and-delete: only the owner releases the lock, only the rejected token is dropped.
const DELETE_IF_EQUAL = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
const SET_IF_LOCK_OWNER = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[2], ARGV[2]) return 1 end return 0`;
const DELETE_ACCESS_IF_TOKEN = `local value = redis.call('GET', KEYS[1])
if value and cjson.decode(value).token == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export function createRedisTokenStore(
  redis: Redis,
  prefix: string,
  credentialId: string,
): TokenStore {
  const keys = tokenKeys(prefix, credentialId);
  return {
    async readAccess() {
      return parseAccess(await redis.get(keys.access));
    },
    async writeAccess(token, ttlMs) {
      await redis.set(keys.access, JSON.stringify(token), 'PX', Math.max(1, Math.floor(ttlMs)));
    },
    async discardAccess(token) {
      await redis.eval(DELETE_ACCESS_IF_TOKEN, 1, keys.access, token);
    },
    async acquireLock(owner, ttlMs) {
      return (await redis.set(keys.lock, owner, 'PX', ttlMs, 'NX')) === 'OK';
    },
    async releaseLock(owner) {
      await redis.eval(DELETE_IF_EQUAL, 1, keys.lock, owner);
    },
    async readRefreshToken() {
      return (await redis.get(keys.refresh)) ?? undefined;
    },
    async writeRefreshToken(token) {
      await redis.set(keys.refresh, token);
    },
    async writeRefreshTokenIfOwner(owner, token) {
      return (await redis.eval(SET_IF_LOCK_OWNER, 2, keys.lock, keys.refresh, owner, token)) === 1;
    },
    async readFailure() {
      const text = await redis.get(keys.failure);
      return text === null ? undefined : (JSON.parse(text) as StoredFailure);
    },
    async writeFailure(failure, ttlMs) {
      await redis.set(keys.failure, JSON.stringify(failure), 'PX', ttlMs);
    },
    async clearFailure() {
      await redis.del(keys.failure);
    },
  };
}

function parseAccess(text: string | null): CachedAccessToken | undefined {
  if (text === null) return undefined;
  try {
    const value = JSON.parse(text) as Partial<CachedAccessToken>;
    if (typeof value.token !== 'string' || typeof value.expiresAt !== 'number') return undefined;
    return { token: value.token, expiresAt: value.expiresAt, scope: value.scope };
  } catch {
    return undefined;
  }
}

/** The same contract in one process's memory: for unit tests and `oauth2 check` without Redis. */
export function createMemoryTokenStore(now: () => number = Date.now): TokenStore {
  const values = new Map<string, { value: string; expiresAt: number }>();
  const get = (key: string): string | undefined => {
    const entry = values.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now()) {
      values.delete(key);
      return undefined;
    }
    return entry.value;
  };
  const set = (key: string, value: string, ttlMs = Infinity): void => {
    values.set(key, { value, expiresAt: now() + ttlMs });
  };
  return {
    readAccess: () => Promise.resolve(parseAccess(get('access') ?? null)),
    writeAccess(token, ttlMs) {
      set('access', JSON.stringify(token), ttlMs);
      return Promise.resolve();
    },
    discardAccess(token) {
      if (parseAccess(get('access') ?? null)?.token === token) values.delete('access');
      return Promise.resolve();
    },
    acquireLock(owner, ttlMs) {
      if (get('lock') !== undefined) return Promise.resolve(false);
      set('lock', owner, ttlMs);
      return Promise.resolve(true);
    },
    releaseLock(owner) {
      if (get('lock') === owner) values.delete('lock');
      return Promise.resolve();
    },
    readRefreshToken: () => Promise.resolve(get('refresh')),
    writeRefreshToken(token) {
      set('refresh', token);
      return Promise.resolve();
    },
    writeRefreshTokenIfOwner(owner, token) {
      if (get('lock') !== owner) return Promise.resolve(false);
      set('refresh', token);
      return Promise.resolve(true);
    },
    readFailure() {
      const text = get('failure');
      return Promise.resolve(text === undefined ? undefined : (JSON.parse(text) as StoredFailure));
    },
    writeFailure(failure, ttlMs) {
      set('failure', JSON.stringify(failure), ttlMs);
      return Promise.resolve();
    },
    clearFailure() {
      values.delete('failure');
      return Promise.resolve();
    },
  };
}
