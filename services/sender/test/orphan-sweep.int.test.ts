import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  createDeliveryQueue,
  createDeliveryProducer,
  newMessageId,
  type DeliveryJob,
} from '@smtp-relay/queue';
import { startRedisServer, type RedisServerHandle } from '@smtp-relay/testkit';
import { Redis } from 'ioredis';
import { sweepOrphanBodies } from '../src/orphan-sweep.ts';

describe('sweepOrphanBodies (real Redis)', () => {
  let server: RedisServerHandle | undefined;
  let redis: Redis;
  const prefix = `sweep-${randomBytes(4).toString('hex')}`;

  before(async () => {
    const shared = process.env['TEST_REDIS_URL'];
    if (!shared) server = await startRedisServer();
    redis = new Redis(shared ?? server?.url ?? '');
  });

  after(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await server?.cleanup();
  });

  it('deletes bodies without a job and keeps those with one', async () => {
    const queue = createDeliveryQueue({ connection: redis, prefix });
    const withJob = newMessageId();
    const orphan = newMessageId();
    await redis.set(`${prefix}:body:${withJob}`, Buffer.from('kept'));
    await redis.set(`${prefix}:body:${orphan}`, Buffer.from('orphan'));
    const job: DeliveryJob = {
      v: 1,
      messageId: withJob,
      bodyKey: `${prefix}:body:${withJob}`,
      size: 4,
      mailFrom: 'a@example.test',
      recipients: ['b@example.test'],
      originalRecipients: ['b@example.test'],
      receivedAt: Date.now(),
      client: { address: '127.0.0.1', helo: 'x' },
      authUser: null,
      bodyType: '7bit',
      smtpUtf8: false,
    };
    await createDeliveryProducer(queue).enqueue(job);

    // A body written a moment ago is not old enough to be an orphan yet.
    assert.deepEqual(await sweepOrphanBodies({ redis, prefix, minIdleSeconds: 3600 }), {
      scanned: 2,
      deleted: 0,
    });
    assert.deepEqual(await sweepOrphanBodies({ redis, prefix, minIdleSeconds: 0 }), {
      scanned: 2,
      deleted: 1,
    });
    assert.equal(await redis.exists(`${prefix}:body:${orphan}`), 0);
    assert.equal(await redis.exists(`${prefix}:body:${withJob}`), 1);
    await queue.close();
  });
});
