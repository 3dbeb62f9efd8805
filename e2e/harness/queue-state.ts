import { Redis } from 'ioredis';

export interface QueueState {
  /** Jobs in any state (wait, active, delayed, completed, failed...). */
  readonly jobs: number;
  /** Message bodies in the store. */
  readonly bodies: number;
}

/** What a relay has stored under its queue prefix, read straight from Redis. */
export async function readQueueState(redisUrl: string, prefix: string): Promise<QueueState> {
  const redis = new Redis(redisUrl);
  try {
    const keys = await redis.keys(`${prefix}:*`);
    const bodies = keys.filter((key) => key.startsWith(`${prefix}:body:`)).length;
    // BullMQ keeps one hash per job: <prefix>:<queue>:<jobId>; other keys have
    // fixed names (wait, active, meta, id, events...).
    const fixed = new Set([
      'wait',
      'active',
      'paused',
      'delayed',
      'completed',
      'failed',
      'prioritized',
      'meta',
      'id',
      'events',
      'stalled-check',
      'marker',
      'pc',
      'limiter',
      'metrics',
      'stalled',
      'waiting-children',
      'de',
      'repeat',
    ]);
    const jobs = keys.filter((key) => {
      const parts = key.slice(prefix.length + 1).split(':');
      return parts[0] === 'delivery' && parts.length === 2 && !fixed.has(parts[1] ?? '');
    }).length;
    return { jobs, bodies };
  } finally {
    redis.disconnect();
  }
}
