import type { Redis } from 'ioredis';
import type { BodyWriter, MessageStore } from './message-store.ts';

export interface RedisMessageStoreOptions {
  readonly redis: Redis;
  /** QUEUE_PREFIX: keys are `<prefix>:body:<messageId>`. */
  readonly prefix: string;
  /**
   * Bytes buffered before they are appended to Redis. Small messages are one
   * SET; a 20 MiB one never sits in ingress memory as a whole.
   */
  readonly flushBytes?: number;
}

const DEFAULT_FLUSH_BYTES = 512 * 1024;

export function createRedisMessageStore(options: RedisMessageStoreOptions): MessageStore {
  const { redis, prefix } = options;
  const flushBytes = options.flushBytes ?? DEFAULT_FLUSH_BYTES;
  const bodyKey = (messageId: string): string => `${prefix}:body:${messageId}`;

  return {
    bodyKey,
    openWriter(messageId) {
      return createRedisBodyWriter(redis, bodyKey(messageId), flushBytes);
    },
    async read(messageId) {
      const body = await redis.getBuffer(bodyKey(messageId));
      return body ?? undefined;
    },
    async delete(messageId) {
      await redis.del(bodyKey(messageId));
    },
  };
}

function createRedisBodyWriter(redis: Redis, key: string, flushBytes: number): BodyWriter {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let storedBytes = 0;
  let started = false;
  let failure: unknown;

  async function flush(): Promise<void> {
    if (pendingBytes === 0 && started) return;
    const chunk =
      pending.length === 1 && pending[0] ? pending[0] : Buffer.concat(pending, pendingBytes);
    pending = [];
    const size = pendingBytes;
    pendingBytes = 0;
    // The first write replaces anything left under this key; later ones append.
    if (started) await redis.append(key, chunk);
    else await redis.set(key, chunk);
    started = true;
    storedBytes += size;
  }

  return {
    async write(chunk) {
      // After a failure keep accepting (the caller drains the client) but store nothing.
      if (failure !== undefined) return;
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes < flushBytes) return;
      try {
        await flush();
      } catch (error) {
        failure = error;
      }
    },
    async finish() {
      if (failure !== undefined) {
        throw failure instanceof Error
          ? failure
          : new Error('store write failed', { cause: failure });
      }
      await flush();
      return storedBytes;
    },
    async abort() {
      pending = [];
      pendingBytes = 0;
      if (!started) return;
      try {
        await redis.del(key);
      } catch {
        // Unreachable Redis: the orphan sweep removes bodies that no job references.
      }
    },
  };
}
