import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createDeliveryProducer,
  createDeliveryQueue,
  newDeliveryJob,
  newMessageId,
} from '@smtp-relay/queue';
import { createRedisFailedMessages, createRedisMessageStore } from '@smtp-relay/store';
import { connectTestRedis, uniquePrefix, type TestRedisConnection } from '@smtp-relay/testkit';
import { Redis } from 'ioredis';
import { isBodyReferenced, sweepOrphanBodies } from '../src/orphan-sweep.ts';

describe('sweepOrphanBodies (real Redis)', () => {
  let redis: TestRedisConnection<Redis>;
  const prefix = uniquePrefix('sweep');

  before(async () => {
    redis = await connectTestRedis(prefix, (url) => new Redis(url));
  });

  after(async () => {
    await redis.close();
  });

  it('deletes bodies without a job and keeps those with one, or with a failed record', async () => {
    const { connection } = redis;
    const queue = createDeliveryQueue({ connection, prefix });
    const store = createRedisMessageStore({ redis: connection, prefix });
    const failed = createRedisFailedMessages({ redis: connection, prefix });
    const withJob = newMessageId();
    const orphan = newMessageId();
    // Bounced for someone; its finished job has gone, the body is kept for a retry.
    const failedWithoutJob = newMessageId();
    for (const id of [withJob, orphan, failedWithoutJob]) {
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
    await failed.recordFailed(failedWithoutJob, '{}', ['b@example.test'], 3_600_000);
    assert.equal(await failed.finish(failedWithoutJob, 3_600_000), true);
    const sweep = (minIdleSeconds: number) =>
      sweepOrphanBodies({
        bodies: store,
        hasJob: isBodyReferenced(queue, failed),
        minIdleSeconds,
      });

    // A body written a moment ago is not old enough to be an orphan yet.
    assert.deepEqual(await sweep(3600), { scanned: 3, deleted: 0 });
    assert.deepEqual(await sweep(0), { scanned: 3, deleted: 1 });
    assert.equal(await store.exists(orphan), false);
    assert.equal(await store.exists(withJob), true);
    assert.equal(await store.exists(failedWithoutJob), true);
    await queue.close();
  });
});
