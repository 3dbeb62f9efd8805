import { randomBytes } from 'node:crypto';
import { startRedisServer } from './redis-server.ts';

export interface TestRedis {
  readonly url: string;
  /** Stops the private server, if one was started. */
  cleanup(): Promise<void>;
}

/**
 * The run's redis-server (TEST_REDIS_URL, started by `npm test`), or a private
 * one when a test file runs alone. Tests isolate themselves by key prefix.
 */
export async function useTestRedis(): Promise<TestRedis> {
  const shared = process.env['TEST_REDIS_URL'];
  if (shared) return { url: shared, cleanup: () => Promise.resolve() };
  const server = await startRedisServer();
  return { url: server.url, cleanup: () => server.cleanup() };
}

/** A key prefix for one test file, `name-` and 8 random hex digits: files sharing a Redis never meet. */
export function uniquePrefix(name: string): string {
  return `${name}-${randomBytes(4).toString('hex')}`;
}

/** The commands the clean-up needs of a connection (ioredis's `Redis` has them). */
export interface RedisKeysConnection {
  keys(pattern: string): Promise<string[]>;
  del(...keys: string[]): Promise<number>;
  disconnect(): void;
}

/** Deletes every key under `prefix:`: what a test file left in the shared Redis. */
export async function deleteKeys(connection: RedisKeysConnection, prefix: string): Promise<void> {
  const keys = await connection.keys(`${prefix}:*`);
  if (keys.length > 0) await connection.del(...keys);
}

export interface TestRedisConnection<C extends RedisKeysConnection> {
  readonly url: string;
  readonly connection: C;
  /**
   * Deletes the keys under the prefix, disconnects and stops a private server.
   * Close first what was opened on the connection (a BullMQ queue).
   */
  close(): Promise<void>;
}

/**
 * One connection to the test Redis (useTestRedis) for a test file writing under
 * `prefix`; `connect` opens it, e.g. `(url) => new Redis(url)`.
 */
export async function connectTestRedis<C extends RedisKeysConnection>(
  prefix: string,
  connect: (url: string) => C,
): Promise<TestRedisConnection<C>> {
  const redis = await useTestRedis();
  const connection = connect(redis.url);
  return {
    url: redis.url,
    connection,
    async close() {
      await deleteKeys(connection, prefix);
      connection.disconnect();
      await redis.cleanup();
    },
  };
}
