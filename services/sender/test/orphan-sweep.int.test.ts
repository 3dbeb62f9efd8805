import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createDeliveryProducer,
  createDeliveryQueue,
  hasJob,
  newDeliveryJob,
  newMessageId,
} from '@smtp-relay/queue';
import { createRedisMessageStore } from '@smtp-relay/store';
import { connectTestRedis, uniquePrefix, type TestRedisConnection } from '@smtp-relay/testkit';
import { Redis } from 'ioredis';
import { sweepOrphanBodies } from '../src/orphan-sweep.ts';

describe('sweepOrphanBodies (real Redis)', () => {
  let redis: TestRedisConnection<Redis>;
  const prefix = uniquePrefix('sweep');

  before(async () => {
    redis = await connectTestRedis(prefix, (url) => new Redis(url));
  });

  after(async () => {
    await redis.close();
  });

  it('deletes bodies without a job and keeps those with one', async () => {
    const { connection } = redis;
    const queue = createDeliveryQueue({ connection, prefix });
    const store = createRedisMessageStore({ redis: connection, prefix });
    const withJob = newMessageId();
    const orphan = newMessageId();
    for (const id of [withJob, orphan]) {
      const writer = store.openWriter(id);
      await writer.write(Buffer.from(id));
      await writer.finish();
    }
    await createDeliveryProducer(queue).enqueue(
      newDeliveryJob({
        messageId: withJob,
        size: 26,
        mailFrom: 'a@example.test',
        recipients: ['b@example.test'],
        receivedAt: Date.now(),
        client: { address: '127.0.0.1', helo: 'x' },
        authUser: null,
        bodyType: '7bit',
        smtpUtf8: false,
      }),
    );
    const sweep = (minIdleSeconds: number) =>
      sweepOrphanBodies({
        bodies: store,
        hasJob: (messageId) => hasJob(queue, messageId),
        minIdleSeconds,
      });

    // A body written a moment ago is not old enough to be an orphan yet.
    assert.deepEqual(await sweep(3600), { scanned: 2, deleted: 0 });
    assert.deepEqual(await sweep(0), { scanned: 2, deleted: 1 });
    assert.equal(await store.exists(orphan), false);
    assert.equal(await store.exists(withJob), true);
    await queue.close();
  });
});
