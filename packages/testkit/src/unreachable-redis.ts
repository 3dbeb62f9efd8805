import { Redis } from 'ioredis';
import { getFreePort } from './free-port.ts';

/**
 * A client of a Redis that is not there (a free port): every command fails at
 * once, with no retry and no offline queue. For the "never rejects without
 * Redis" tests. The caller disconnects it.
 */
export async function unreachableRedis(): Promise<Redis> {
  return new Redis({
    port: await getFreePort(),
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
}
