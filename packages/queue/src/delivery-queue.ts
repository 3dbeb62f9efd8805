import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { DELIVERY_JOB_NAME, DELIVERY_QUEUE_NAME, type DeliveryJob } from './delivery-job.ts';

/** Backoff type the sender's worker resolves (see services/sender worker.ts). */
export const RELAY_BACKOFF_TYPE = 'relay-schedule';

// Retries are bounded by MAX_QUEUE_LIFETIME (time), not by a count: BullMQ's
// attempts only has to be larger than any schedule can reach.
const UNBOUNDED_ATTEMPTS = 1_000_000;

export const DELIVERY_JOB_OPTIONS = {
  attempts: UNBOUNDED_ATTEMPTS,
  backoff: { type: RELAY_BACKOFF_TYPE },
  // Delivered messages stay listed for a day (recent activity), failed ones for
  // 30 days so an operator can see what bounced and why. Bodies are deleted
  // when the outcome is final, whatever the job retention.
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 30 * 24 * 3600, count: 100_000 },
  // The reason is the smart host's reply; a stack trace per retry only costs Redis memory.
  stackTraceLimit: 0,
} as const satisfies JobsOptions;

export interface DeliveryQueueOptions {
  readonly connection: Redis;
  /** QUEUE_PREFIX */
  readonly prefix: string;
}

export type DeliveryQueue = Queue<DeliveryJob, unknown, typeof DELIVERY_JOB_NAME>;

export function createDeliveryQueue(options: DeliveryQueueOptions): DeliveryQueue {
  return new Queue<DeliveryJob, unknown, typeof DELIVERY_JOB_NAME>(DELIVERY_QUEUE_NAME, {
    connection: options.connection,
    prefix: options.prefix,
    defaultJobOptions: DELIVERY_JOB_OPTIONS,
  });
}

export interface DeliveryProducer {
  /** Resolves once the job is in Redis; job id = message id, so a retried call cannot duplicate. */
  enqueue(job: DeliveryJob): Promise<void>;
  /**
   * Takes back a job that was enqueued but must not run (its replicas were not
   * confirmed): true when it was removed, false when a sender already has it
   * (or it is gone).
   */
  withdraw(messageId: string): Promise<boolean>;
  close(): Promise<void>;
}

export function createDeliveryProducer(queue: DeliveryQueue): DeliveryProducer {
  return {
    async enqueue(job) {
      await queue.add(DELIVERY_JOB_NAME, job, { jobId: job.messageId });
    },
    async withdraw(messageId) {
      // BullMQ does not remove a job a worker holds the lock of.
      return (await queue.remove(messageId)) === 1;
    },
    async close() {
      await queue.close();
    },
  };
}
