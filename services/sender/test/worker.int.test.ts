import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_ROUTE_NAME } from '@smtp-relay/config';
import { createMetrics } from '@smtp-relay/observability';
import {
  createDeliveryProducer,
  createDeliveryQueue,
  newDeliveryJob,
  newMessageId,
  nextAttemptAt,
  type DeliveryQueue,
} from '@smtp-relay/queue';
import { createMemoryRouteLimits } from '@smtp-relay/smart-host';
import { createRedisFailedMessages, createRedisMessageStore } from '@smtp-relay/store';
import {
  connectTestRedis,
  uniquePrefix,
  waitFor,
  type TestRedisConnection,
} from '@smtp-relay/testkit';
import { Redis } from 'ioredis';
import { createDeliveryHold } from '../src/delivery-hold.ts';
import { createRedisHoldStore } from '../src/redis-hold-store.ts';
import { holdTiming } from '../src/systemic-hold.ts';
import { createDeliveryWorker } from '../src/worker.ts';
import { createCapturedLogger } from './fakes/captured-logger.ts';
import { createRecordingBounceNotifier } from './fakes/recording-bounce-notifier.ts';
import { singleRoute, type SingleRouteParts } from './fakes/single-route.ts';
import {
  createScriptedSmartHostClient,
  smartHostError,
} from './fakes/scripted-smart-host-client.ts';

// Paths e2e tests do not reach, through BullMQ itself: a stop whose deadline
// passes with a delivery in flight (the abort signal reaches the processor, and
// the job it hands back is waiting again, its attempt uncounted), and jobs that
// wait for their route (moved to the delayed set, their attempts uncounted).

describe('delivery worker (real Redis, real BullMQ)', () => {
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

  /** Stores a message with this subject and queues it for delivery; its id. */
  async function enqueueMessage(
    store: ReturnType<typeof createRedisMessageStore>,
    subject: string,
  ): Promise<string> {
    const id = newMessageId();
    const writer = store.openWriter(id);
    await writer.write(Buffer.from(`Subject: ${subject}\r\n\r\nbody\r\n`));
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
    return id;
  }

  /** A worker on its own connection, its one route held in Redis; disconnect `connection` after. */
  function startWorker(parts: {
    store: ReturnType<typeof createRedisMessageStore>;
    route: Omit<SingleRouteParts, 'hold'>;
    bounces: ReturnType<typeof createRecordingBounceNotifier>;
    logger: ReturnType<typeof createCapturedLogger>['logger'];
  }): { worker: ReturnType<typeof createDeliveryWorker>; connection: Redis } {
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const worker = createDeliveryWorker({
      settings: {
        prefix,
        concurrency: 1,
        retryDelaysMs: [60_000],
        maxQueueLifetimeMs: 3_600_000,
        failedRetentionMs: 60_000,
      },
      connection,
      store: parts.store,
      failed: createRedisFailedMessages({ redis: redis.connection, prefix }),
      routes: singleRoute({
        ...parts.route,
        hold: createDeliveryHold(
          createRedisHoldStore({
            redis: redis.connection,
            prefix,
            limiterKey: queue.toKey('limiter'),
          }),
          holdTiming([60_000], 60_000),
        ),
      }),
      bounces: parts.bounces,
      logger: parts.logger,
      metrics: createMetrics(),
    });
    return { worker, connection };
  }

  it('stopped mid-delivery: hands the job back to the queue untouched', async () => {
    const store = createRedisMessageStore({ redis: redis.connection, prefix });
    const id = await enqueueMessage(store, 'in flight');
    const client = createScriptedSmartHostClient([{ kind: 'hang' }]);
    const bounces = createRecordingBounceNotifier();
    const log = createCapturedLogger();
    const { worker, connection } = startWorker({
      store,
      route: { client },
      bounces,
      logger: log.logger,
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

  it('a throttled job and one its paused route turns away wait as delayed jobs, attempts uncounted', async () => {
    const store = createRedisMessageStore({ redis: redis.connection, prefix });
    const ids = [
      await enqueueMessage(store, 'slow down'),
      await enqueueMessage(store, 'slow down'),
    ];
    const throttling = smartHostError('EENVELOPE', 'Mail command failed', {
      responseCode: 421,
      command: 'MAIL FROM',
      response: '421 4.7.0 Too many messages, slow down',
    });
    const client = createScriptedSmartHostClient([{ kind: 'fail', error: throttling }]);
    const limits = createMemoryRouteLimits({
      route: DEFAULT_ROUTE_NAME,
      rate: undefined,
      recipientRate: undefined,
    });
    const log = createCapturedLogger();
    const { worker, connection } = startWorker({
      store,
      route: { client, limits },
      bounces: createRecordingBounceNotifier(),
      logger: log.logger,
    });
    try {
      await waitFor(
        async () => {
          const states = await Promise.all(ids.map((id) => queue.getJobState(id)));
          return states.every((state) => state === 'delayed');
        },
        { description: 'both jobs to be delayed' },
      );
    } finally {
      await worker.close();
      connection.disconnect();
    }
    for (const id of ids) {
      const job = await queue.getJob(id);
      assert.equal(job?.attemptsMade, 0, 'no attempt counted');
      assert.equal(job.failedReason, undefined);
      assert.equal(await store.exists(id), true);
      // Due again at exactly the moment written on it: the dashboard shows it as throttled.
      const { waiting } = job.data;
      assert.ok(waiting, 'why it waits is on the job');
      assert.equal(await nextAttemptAt(queue, id), waiting.until);
    }
    assert.equal(client.sent.length, 1, 'only the first reached the smart host');
    assert.ok((await limits.read()).pausedMs > 0);
    assert.deepEqual(log.events().slice(0, 2), ['delivery.throttled', 'delivery.waiting']);
  });
});
