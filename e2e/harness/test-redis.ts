import { startRedisServer } from '@smtp-relay/testkit';

export interface TestRedis {
  readonly url: string;
  cleanup(): Promise<void>;
}

/**
 * The run's redis-server (TEST_REDIS_URL, started by `npm test`), or a private
 * one when a test file runs alone. Tests isolate themselves by queue prefix.
 */
export async function useTestRedis(): Promise<TestRedis> {
  const shared = process.env['TEST_REDIS_URL'];
  if (shared) return { url: shared, cleanup: () => Promise.resolve() };
  const server = await startRedisServer();
  return { url: server.url, cleanup: () => server.cleanup() };
}
