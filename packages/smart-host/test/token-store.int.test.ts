import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startRedisServer, waitFor, type RedisServerHandle } from '@smtp-relay/testkit';
import { Redis } from 'ioredis';
import {
  createMemoryTokenStore,
  createRedisTokenStore,
  tokenKeys,
  type TokenStore,
} from '../src/index.ts';

// One contract, two implementations: the Redis store every sender replica shares, and
// the in-memory one unit tests and `oauth2 check` without Redis use.

let server: RedisServerHandle;
let redis: Redis;
before(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url);
});
after(async () => {
  await redis.quit();
  await server.cleanup();
});

const IMPLEMENTATIONS: readonly (readonly [string, () => TokenStore])[] = [
  ['redis', () => createRedisTokenStore(redis, `t-${randomBytes(4).toString('hex')}`, 'cred')],
  ['memory', () => createMemoryTokenStore()],
];

for (const [name, create] of IMPLEMENTATIONS) {
  describe(`token store contract: ${name}`, () => {
    it('keeps an access token until its time to live runs out', async () => {
      const store = create();
      assert.equal(await store.readAccess(), undefined);
      const token = { token: 'a1', expiresAt: Date.now() + 60_000, scope: 's' };
      await store.writeAccess(token, 150);
      assert.deepEqual(await store.readAccess(), token);
      await waitFor(async () => (await store.readAccess()) === undefined, {
        timeoutMs: 3000,
        intervalMs: 20,
        description: 'access token expired from the store',
      });
    });

    it('discards a rejected token only if it is still the cached one', async () => {
      const store = create();
      await store.writeAccess(
        { token: 'new', expiresAt: Date.now() + 60_000, scope: undefined },
        60_000,
      );
      await store.discardAccess('old');
      assert.equal((await store.readAccess())?.token, 'new');
      await store.discardAccess('new');
      assert.equal(await store.readAccess(), undefined);
    });

    it('gives the refresh lock to one owner at a time; only the owner releases it', async () => {
      const store = create();
      assert.equal(await store.acquireLock('a', 10_000), true);
      assert.equal(await store.acquireLock('b', 10_000), false);
      await store.releaseLock('b');
      assert.equal(await store.acquireLock('b', 10_000), false);
      await store.releaseLock('a');
      assert.equal(await store.acquireLock('b', 10_000), true);
    });

    it('keeps a rotated refresh token only while the writer still holds the lock', async () => {
      const store = create();
      assert.equal(await store.acquireLock('a', 10_000), true);
      assert.equal(await store.writeRefreshTokenIfOwner('a', 'r-a'), true);
      assert.equal(await store.writeRefreshTokenIfOwner('b', 'r-b'), false);
      assert.equal(await store.readRefreshToken(), 'r-a');
      await store.releaseLock('a');
      assert.equal(await store.writeRefreshTokenIfOwner('a', 'late'), false);
      assert.equal(await store.readRefreshToken(), 'r-a');
    });

    it('lets a lock of a crashed owner expire', async () => {
      const store = create();
      assert.equal(await store.acquireLock('crashed', 100), true);
      await waitFor(() => store.acquireLock('next', 10_000), {
        timeoutMs: 3000,
        intervalMs: 20,
        description: 'lock free after its time to live',
      });
    });

    it('keeps a rotated refresh token without expiry, and a failure for a while', async () => {
      const store = create();
      assert.equal(await store.readRefreshToken(), undefined);
      await store.writeRefreshToken('r2');
      assert.equal(await store.readRefreshToken(), 'r2');
      await store.writeFailure({ reason: 'invalid_grant', message: 'AADSTS70008' }, 60_000);
      assert.deepEqual(await store.readFailure(), {
        reason: 'invalid_grant',
        message: 'AADSTS70008',
      });
      await store.clearFailure();
      assert.equal(await store.readFailure(), undefined);
    });
  });
}

describe('Redis token store keys', () => {
  it('live under QUEUE_PREFIX and the credential id', async () => {
    const prefix = `k-${randomBytes(4).toString('hex')}`;
    const store = createRedisTokenStore(redis, prefix, 'abc');
    await store.writeRefreshToken('r');
    assert.deepEqual(await redis.keys(`${prefix}:*`), [tokenKeys(prefix, 'abc').refresh]);
    assert.equal(tokenKeys(prefix, 'abc').refresh, `${prefix}:oauth2:abc:refresh`);
  });
});
