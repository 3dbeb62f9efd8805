import { DELIVERY_QUEUE_NAME } from '@smtp-relay/queue';
import type { Redis } from 'ioredis';

// Bodies are deleted when a delivery is final. A body can still be left
// without a job: ingress killed in the middle of DATA, a store write that
// timed out against a hung Redis and ran later, an enqueue that failed. Under
// `noeviction` such leftovers would fill Redis, so each sender sweeps now and
// then. Idempotent: several senders may sweep at once.

export interface OrphanSweepOptions {
  readonly redis: Redis;
  readonly prefix: string;
  /**
   * Only bodies untouched for this long are considered, so a body whose job is
   * being added right now (ingress, bounces) is never taken for an orphan.
   */
  readonly minIdleSeconds: number;
}

export interface OrphanSweepResult {
  readonly scanned: number;
  readonly deleted: number;
}

export async function sweepOrphanBodies(options: OrphanSweepOptions): Promise<OrphanSweepResult> {
  const { redis, prefix } = options;
  const bodyPrefix = `${prefix}:body:`;
  let scanned = 0;
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${bodyPrefix}*`, 'COUNT', 500);
    cursor = next;
    for (const key of keys) {
      scanned++;
      const messageId = key.slice(bodyPrefix.length);
      const idle = Number(await redis.object('IDLETIME', key));
      if (!(idle >= options.minIdleSeconds)) continue;
      // BullMQ keeps each job in the hash <prefix>:<queue>:<jobId>.
      if ((await redis.exists(`${prefix}:${DELIVERY_QUEUE_NAME}:${messageId}`)) === 1) continue;
      deleted += await redis.del(key);
    }
  } while (cursor !== '0');
  return { scanned, deleted };
}
