import { connectTestRedis, type TestRedisConnection } from '@smtp-relay/testkit';
import { Redis } from 'ioredis';
import { newDeliveryJob, type DeliveryJob } from '../src/delivery-job.ts';
import { createDeliveryQueue, type DeliveryQueue } from '../src/delivery-queue.ts';

// What the queue's int tests share: a delivery queue on a real Redis, and a job.

export interface TestQueue {
  readonly redis: TestRedisConnection<Redis>;
  readonly queue: DeliveryQueue;
  close(): Promise<void>;
}

/** A delivery queue under `prefix` on the test Redis; `close()` it in an `after` hook. */
export async function openTestQueue(prefix: string): Promise<TestQueue> {
  const redis = await connectTestRedis(prefix, (url) => new Redis(url));
  const queue = createDeliveryQueue({ connection: redis.connection, prefix });
  return {
    redis,
    queue,
    close: async () => {
      await queue.close();
      await redis.close();
    },
  };
}

/** A small job for `messageId`. */
export const jobFor = (messageId: string): DeliveryJob =>
  newDeliveryJob({
    messageId,
    size: 4,
    mailFrom: 'a@example.test',
    recipients: ['b@example.test'],
    receivedAt: Date.now(),
    client: { address: '127.0.0.1', helo: 'test' },
    authUser: null,
    bodyType: '7bit',
    smtpUtf8: false,
  });
