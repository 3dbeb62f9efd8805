import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * A Lua script run with EVALSHA, sent whole (EVAL) only on NOSCRIPT: its
 * first use, or after a Redis restart or failover. Saves sending the source
 * with every call of a script that runs per message.
 */
export function luaScript(redis: Redis, source: string) {
  const sha = createHash('sha1').update(source).digest('hex');
  return async (keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> => {
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(source, keys.length, ...keys, ...args);
    }
  };
}
