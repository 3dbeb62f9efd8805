import type { MessageStore } from '@smtp-relay/store';
import type { Redis } from 'ioredis';
import type { DeliveryQueue } from './delivery-queue.ts';

/**
 * What a relay process hands to its admin API, queue metrics and CLI: the
 * delivery queue, the bodies it refers to, and the Redis they live in (for
 * state kept beside the queue, such as client blocks).
 */
export interface QueueAccess {
  readonly queue: DeliveryQueue;
  readonly store: MessageStore;
  readonly redis: Redis;
  /** QUEUE_PREFIX */
  readonly prefix: string;
}
