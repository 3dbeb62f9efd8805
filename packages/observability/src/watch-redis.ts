import type { Logger } from 'pino';

/** The events of an ioredis client that matter here. */
interface RedisEvents {
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'ready' | 'end', listener: () => void): unknown;
}

// Connections whose end was asked for (closeRedis): their 'end' is no loss.
const closedOnPurpose = new WeakSet<object>();

/** Says that `redis` is being closed on purpose: its end is not reported as lost. */
export function expectRedisEnd(redis: object): void {
  closedOnPurpose.add(redis);
}

/**
 * One log line when a Redis connection is lost and one when it is back, not
 * one per reconnection attempt (ioredis retries many times a second).
 *
 * Resolves if the connection ends without closeRedis having asked for it:
 * ioredis has then given up on it for good (every command fails with
 * "Connection is closed."), which retrying cannot mend, so the process should
 * stop and let Docker or Kubernetes start a clean one
 * (docs/adr/017-sentinel-failover-detector.md). Never rejects.
 */
export function watchRedis(redis: RedisEvents, logger: Logger, connection: string): Promise<void> {
  const lost = new Promise<void>((resolve) => {
    redis.on('end', () => {
      if (closedOnPurpose.has(redis)) return;
      logger.error(
        { event: 'redis.lost', connection },
        'Redis connection ended for good: it will not reconnect',
      );
      resolve();
    });
  });
  let down = false;
  redis.on('error', (error: Error) => {
    if (down) return;
    down = true;
    logger.warn({ event: 'redis.unavailable', connection, err: error }, 'Redis unavailable');
  });
  redis.on('ready', () => {
    if (down) logger.info({ event: 'redis.available', connection }, 'Redis available again');
    down = false;
  });
  return lost;
}

const CONNECTION_ERROR =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|Connection is closed|Stream isn't writeable/;

/** True for the errors a lost Redis connection produces (already reported by watchRedis). */
export function isRedisConnectionError(error: Error): boolean {
  return CONNECTION_ERROR.test(`${(error as NodeJS.ErrnoException).code ?? ''} ${error.message}`);
}
