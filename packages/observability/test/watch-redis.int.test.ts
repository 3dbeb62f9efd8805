import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { startRedisServer, waitFor, type RedisServerHandle } from '@smtp-relay/testkit';
import { Redis } from 'ioredis';
import { closeRedis } from '../src/settle-within.ts';
import { watchRedis } from '../src/watch-redis.ts';
import { createCapturedLogger } from './captured-logger.ts';

// watchRedis against a real redis-server and real ioredis clients: one line
// when Redis goes away and one when it is back, and a connection that ends
// without closeRedis asking for it is reported as lost for good.

/** Whether `promise` has settled, once the events already due have run. */
async function hasSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(() => {
    settled = true;
  });
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

describe('watchRedis (real redis-server)', () => {
  let server: RedisServerHandle;

  before(async () => {
    server = await startRedisServer();
  });

  after(async () => {
    await server.cleanup();
  });

  it('closed by closeRedis: not lost, nothing logged', async () => {
    const { logger, events } = createCapturedLogger();
    const redis = new Redis(server.url);
    const lost = watchRedis(redis, logger, 'test');
    await once(redis, 'ready');
    const ended = once(redis, 'end');
    await closeRedis(redis, 1000);
    await ended;
    assert.equal(await hasSettled(lost), false);
    assert.deepEqual(events(), []);
  });

  it('ended without closeRedis: lost, with one error line naming the connection', async () => {
    const { logger, lines } = createCapturedLogger();
    const redis = new Redis(server.url);
    const lost = watchRedis(redis, logger, 'ingress');
    await once(redis, 'ready');
    redis.disconnect();
    await lost;
    assert.equal(redis.status, 'end');
    const reported = lines().filter((line) => line['event'] === 'redis.lost');
    assert.deepEqual(
      reported.map((line) => [line['connection'], line['level']]),
      [['ingress', 'error']],
    );
  });

  it('Redis away then back: one line each way however many retries, and not lost', async () => {
    const { logger, events } = createCapturedLogger();
    const redis = new Redis(server.url, { retryStrategy: () => 20 });
    const lost = watchRedis(redis, logger, 'sender');
    let errors = 0;
    redis.on('error', () => {
      errors++;
    });
    try {
      await once(redis, 'ready');
      await server.kill();
      await waitFor(() => errors >= 3, { description: 'three failed reconnections' });
      await server.restart();
      await once(redis, 'ready');
      assert.deepEqual(events(), ['redis.unavailable', 'redis.available']);
      assert.equal(await hasSettled(lost), false);
    } finally {
      await closeRedis(redis, 1000);
    }
  });
});
