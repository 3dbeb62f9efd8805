import type { Logger } from 'pino';

/** The events of an ioredis client that matter here. */
interface RedisEvents {
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'ready', listener: () => void): unknown;
}

/**
 * One log line when a Redis connection is lost and one when it is back, not
 * one per reconnection attempt (ioredis retries many times a second).
 */
export function watchRedis(redis: RedisEvents, logger: Logger, connection: string): void {
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
}

const CONNECTION_ERROR =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|Connection is closed|Stream isn't writeable/;

/** True for the errors a lost Redis connection produces (already reported by watchRedis). */
export function isRedisConnectionError(error: Error): boolean {
  return CONNECTION_ERROR.test(`${(error as NodeJS.ErrnoException).code ?? ''} ${error.message}`);
}
