import type { Redis } from 'ioredis';
import type { BodyWriter, MessageStore } from './message-store.ts';

export interface RedisMessageStoreOptions {
  readonly redis: Redis;
  /** QUEUE_PREFIX: keys are `<prefix>:body:<messageId>`. */
  readonly prefix: string;
  /**
   * Bytes buffered before they are pushed to Redis. A small message is one
   * RPUSH; a 20 MiB one never sits in ingress memory as a whole.
   */
  readonly flushBytes?: number;
}

const DEFAULT_FLUSH_BYTES = 512 * 1024;

// A body is a Redis list of chunks, not one string: appending to a string
// makes Redis copy the whole value again and again as it grows (measured: most
// of the CPU of a 20 MiB message), while RPUSH adds a chunk in place. Readers
// get the chunks and stream them, so no process needs the body contiguous.
export function createRedisMessageStore(options: RedisMessageStoreOptions): MessageStore {
  const { redis, prefix } = options;
  const flushBytes = options.flushBytes ?? DEFAULT_FLUSH_BYTES;
  const bodyKey = (messageId: string): string => `${prefix}:body:${messageId}`;

  return {
    bodyKey,
    openWriter(messageId) {
      return createRedisBodyWriter(redis, bodyKey(messageId), flushBytes);
    },
    async readChunks(messageId) {
      const chunks = await redis.lrangeBuffer(bodyKey(messageId), 0, -1);
      return chunks.length === 0 ? undefined : chunks;
    },
    async readHead(messageId, bytes) {
      const head: Buffer[] = [];
      let size = 0;
      for (let index = 0; size < bytes; index++) {
        const chunk = await redis.lindexBuffer(bodyKey(messageId), index);
        if (chunk === null) break;
        head.push(chunk);
        size += chunk.length;
      }
      return head.length === 0 ? undefined : Buffer.concat(head, size);
    },
    async exists(messageId) {
      return (await redis.exists(bodyKey(messageId))) === 1;
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
    // An empty body is still stored as one (empty) chunk, so it exists.
    if (pendingBytes === 0 && started) return;
    const chunk =
      pending.length === 1 && pending[0] ? pending[0] : Buffer.concat(pending, pendingBytes);
    pending = [];
    const size = pendingBytes;
    pendingBytes = 0;
    started = true;
    await redis.rpush(key, chunk);
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
