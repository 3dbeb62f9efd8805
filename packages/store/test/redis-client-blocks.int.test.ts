import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  deleteKeys,
  uniquePrefix,
  useTestRedis,
  waitFor,
  type TestRedis,
} from '@smtp-relay/testkit';
import { Redis } from 'ioredis';
import {
  clientBlockKeys,
  createRedisClientBlockList,
  createRedisClientBlocks,
  type AuthFailureLimits,
} from '../src/index.ts';

// Several ingress replicas, each with its own connection, sharing one Redis.

describe('Redis client blocks (real Redis)', () => {
  let testRedis: TestRedis;
  const connections: Redis[] = [];
  const prefix = uniquePrefix('blocks');

  const connect = async (): Promise<Redis> => {
    const redis = new Redis(testRedis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    redis.on('error', () => undefined);
    await new Promise((resolve) => redis.once('ready', resolve));
    connections.push(redis);
    return redis;
  };
  const replica = async (limits: AuthFailureLimits) =>
    createRedisClientBlocks({ redis: await connect(), prefix, limits });

  before(async () => {
    testRedis = await useTestRedis();
  });

  after(async () => {
    const [first] = connections;
    if (first) await deleteKeys(first, prefix);
    for (const redis of connections) redis.disconnect();
    await testRedis.cleanup();
  });

  it('counts failures from every replica and blocks exactly once under a race', async () => {
    const limits = { maxFailures: 5, windowMs: 60_000, blockMs: 60_000 };
    const stores = [await replica(limits), await replica(limits), await replica(limits)];
    const address = '198.51.100.1';
    const outcomes = await Promise.all(
      [1, 2, 3, 4].flatMap(() => stores.map((store) => store.recordAuthFailure(address))),
    );
    const created = outcomes.filter((outcome) => outcome.blocked?.created === true);
    assert.equal(created.length, 1, 'one failure created the block');
    assert.equal(created[0]?.failures, 5);
    const block = await stores[2]?.isBlocked(`::ffff:${address}`);
    assert.equal(block?.reason, 'auth');
    assert.ok(Math.abs(block.until - (Date.now() + 60_000)) < 5000);
  });

  it('blocks only for blockMs: the key expires by itself', async () => {
    const blocks = await replica({ maxFailures: 2, windowMs: 60_000, blockMs: 300 });
    const address = '198.51.100.2';
    assert.equal((await blocks.recordAuthFailure(address)).blocked, undefined);
    const second = await blocks.recordAuthFailure(address);
    assert.equal(second.blocked?.created, true);
    assert.ok(await blocks.isBlocked(address));
    await waitFor(async () => (await blocks.isBlocked(address)) === undefined, {
      timeoutMs: 5000,
      description: 'the block to expire',
    });
    assert.deepEqual(
      (await blocks.list()).filter((block) => block.address === address),
      [],
    );
  });

  it('forgets failures once the window has passed', async () => {
    const redis = await connect();
    const blocks = createRedisClientBlocks({
      redis,
      prefix,
      limits: { maxFailures: 2, windowMs: 300, blockMs: 60_000 },
    });
    const address = '198.51.100.3';
    assert.equal((await blocks.recordAuthFailure(address)).failures, 1);
    await waitFor(
      async () => (await redis.exists(clientBlockKeys(prefix).failures(address))) === 0,
      {
        timeoutMs: 5000,
        description: 'the failure window to pass',
      },
    );
    const next = await blocks.recordAuthFailure(address);
    assert.equal(next.failures, 1);
    assert.equal(next.blocked, undefined);
  });

  it('keeps a longer block; lists, reads and lifts through the admin view', async () => {
    const blocks = await replica({ maxFailures: 5, windowMs: 60_000, blockMs: 60_000 });
    const admin = createRedisClientBlockList({ redis: await connect(), prefix });
    const long = await blocks.block('2001:DB8::9', 600_000, 'filter');
    assert.equal(long.created, true);
    assert.equal(long.block.address, '2001:db8::9');
    const shorter = await blocks.block('2001:db8:0::9', 1000, 'auth');
    assert.equal(shorter.created, false);
    assert.deepEqual(shorter.block, long.block);
    await blocks.block('198.51.100.4', 120_000, 'auth');

    const listed = (await admin.list()).filter((block) =>
      ['2001:db8::9', '198.51.100.4'].includes(block.address),
    );
    assert.deepEqual(
      listed.map(({ address, reason }) => ({ address, reason })),
      [
        { address: '198.51.100.4', reason: 'auth' },
        { address: '2001:db8::9', reason: 'filter' },
      ],
    );
    assert.deepEqual(await admin.isBlocked('[2001:db8::9]'), long.block);
    assert.equal(await admin.lift('2001:db8::9'), true);
    assert.equal(await admin.lift('2001:db8::9'), false);
    assert.equal(await blocks.isBlocked('2001:db8::9'), undefined);
    assert.ok(!(await admin.list()).some((block) => block.address === '2001:db8::9'));
    await assert.rejects(() => admin.lift('not-an-address'), TypeError);
  });

  it('keeps every key under <prefix>:blocks:', async () => {
    const redis = await connect();
    const keys = await redis.keys(`${prefix}:*`);
    assert.ok(keys.length > 0);
    for (const key of keys) assert.ok(key.startsWith(`${prefix}:blocks:`), key);
  });
});
