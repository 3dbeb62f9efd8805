import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createMetrics } from '@smtp-relay/observability';
import {
  createDeliveryProducer,
  createDeliveryQueue,
  newDeliveryJob,
  newMessageId,
  type DeliveryQueue,
} from '@smtp-relay/queue';
import { createRedisMessageStore } from '@smtp-relay/store';
import { connectTestRedis, uniquePrefix, type TestRedisConnection } from '@smtp-relay/testkit';
import { Redis } from 'ioredis';
import { createDeliveryHold } from '../src/delivery-hold.ts';
import { createRedisHoldStore } from '../src/redis-hold-store.ts';
import { holdTiming } from '../src/systemic-hold.ts';
import { createDeliveryWorker } from '../src/worker.ts';
import { createCapturedLogger } from './fakes/captured-logger.ts';
import { createRecordingBounceNotifier } from './fakes/recording-bounce-notifier.ts';
import { createScriptedSmartHostClient } from './fakes/scripted-smart-host-client.ts';

// The one path e2e tests do not reach: a stop whose deadline passes with a
// delivery in flight, through BullMQ itself (the abort signal reaches the
// processor, and the job it hands back is waiting again, its attempt uncounted).

describe('delivery worker stopped mid-delivery (real Redis, real BullMQ)', () => {
  let redis: TestRedisConnection<Redis>;
  let queue: DeliveryQueue;
  const prefix = uniquePrefix('worker');

  before(async () => {
    redis = await connectTestRedis(prefix, (url) => new Redis(url));
    queue = createDeliveryQueue({ connection: redis.connection, prefix });
  });

  after(async () => {
    await queue.close();
    await redis.close();
  });

  it('hands the job back to the queue untouched', async () => {
    const store = createRedisMessageStore({ redis: redis.connection, prefix });
    const id = newMessageId();
    const writer = store.openWriter(id);
    await writer.write(Buffer.from('Subject: in flight\r\n\r\nbody\r\n'));
    const size = await writer.finish();
    await createDeliveryProducer(queue).enqueue(
      newDeliveryJob({
        messageId: id,
        size,
        mailFrom: 'device@lan.test',
        recipients: ['boss@example.test'],
        receivedAt: Date.now(),
        client: { address: '192.0.2.7', helo: 'device.lan' },
        authUser: null,
        bodyType: '7bit',
        smtpUtf8: false,
      }),
    );
    const client = createScriptedSmartHostClient([{ kind: 'hang' }]);
    const bounces = createRecordingBounceNotifier();
    const log = createCapturedLogger();
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const worker = createDeliveryWorker({
      settings: { prefix, concurrency: 1, retryDelaysMs: [60_000], maxQueueLifetimeMs: 3_600_000 },
      connection,
      store,
      client,
      bounces,
      hold: createDeliveryHold(
        createRedisHoldStore({
          redis: redis.connection,
          prefix,
          limiterKey: queue.toKey('limiter'),
        }),
        holdTiming([60_000], 60_000),
      ),
      logger: log.logger,
      metrics: createMetrics(),
    });
    try {
      await client.hanging();
      // As Sender.close past its deadline: the stop has begun, then the
      // deliveries are cancelled and their connections cut.
      const closing = worker.close();
      worker.cancelAllJobs('sender stopping');
      await client.close();
      await closing;
    } finally {
      connection.disconnect();
    }
    assert.equal(await queue.getJobState(id), 'waiting');
    const job = await queue.getJob(id);
    assert.equal(job?.attemptsMade, 0);
    assert.equal(job.failedReason, undefined);
    assert.equal(await store.exists(id), true);
    assert.deepEqual(bounces.notices, []);
    assert.deepEqual(log.events(), ['delivery.interrupted']);
  });
});
