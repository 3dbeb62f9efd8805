import type { Redis } from 'ioredis';
import {
  BodyChangedError,
  type BodyWriter,
  type MessageStore,
  type StoredBodies,
} from './message-store.ts';

export interface RedisMessageStoreOptions {
  readonly redis: Redis;
  /** QUEUE_PREFIX: keys are `<prefix>:body:<messageId>`. */
  readonly prefix: string;
  /**
   * Bytes buffered before they are pushed to Redis. A small message is one
   * RPUSH; a 20 MiB one never sits in ingress memory as a whole.
   */
  readonly flushBytes?: number;
  /**
   * Chunks fetched per command by streamChunks: 2 chunks of flushBytes, ~1 MiB
   * per round trip and in memory per body being read.
   */
  readonly readBatchChunks?: number;
}

const DEFAULT_FLUSH_BYTES = 512 * 1024;
const DEFAULT_LIST_BATCH = 500;
const DEFAULT_READ_BATCH_CHUNKS = 2;

export type RedisMessageStore = MessageStore & StoredBodies;

/** The key of a message's body: `<prefix>:body:<messageId>` (failed-messages.ts keeps it too). */
export function bodyKeyOf(prefix: string, messageId: string): string {
  return `${prefix}:body:${messageId}`;
}

/** A SCAN pattern matching `text` literally (a QUEUE_PREFIX may hold glob characters). */
function globLiteral(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

// A body is a Redis list of chunks, not one string: appending to a string
// makes Redis copy the whole value again and again as it grows (measured: most
// of the CPU of a 20 MiB message), while RPUSH adds a chunk in place. Readers
// get the chunks and stream them, so no process needs the body contiguous.
export function createRedisMessageStore(options: RedisMessageStoreOptions): RedisMessageStore {
  const { redis, prefix } = options;
  const flushBytes = options.flushBytes ?? DEFAULT_FLUSH_BYTES;
  const readBatch = Math.max(1, options.readBatchChunks ?? DEFAULT_READ_BATCH_CHUNKS);
  const bodyKeyPrefix = bodyKeyOf(prefix, '');
  const bodyKey = (messageId: string): string => bodyKeyOf(prefix, messageId);

  return {
    openWriter(messageId) {
      return createRedisBodyWriter(redis, bodyKey(messageId), flushBytes);
    },
    async readChunks(messageId) {
      const chunks = await redis.lrangeBuffer(bodyKey(messageId), 0, -1);
      return chunks.length === 0 ? undefined : chunks;
    },
    async streamChunks(messageId) {
      const key = bodyKey(messageId);
      let prefetched: Buffer[] | undefined = await redis.lrangeBuffer(key, 0, readBatch - 1);
      if (prefetched.length === 0) return undefined;
      return {
        async *[Symbol.asyncIterator]() {
          // The first pass uses what the existence check read; a second one reads again.
          const first = prefetched ?? (await redis.lrangeBuffer(key, 0, readBatch - 1));
          prefetched = undefined;
          if (first.length === 0) throw new BodyChangedError(messageId);
          const whole = first.length < readBatch;
          let start = first.length;
          yield* release(first);
          if (whole) return;
          // A body that outgrows one batch: its length comes with the second
          // batch (one round trip), and every batch must then be as long as it
          // says, or the body was deleted meanwhile.
          const [[lengthError, length], [rangeError, range]] = (await redis
            .pipeline()
            .llen(key)
            .lrangeBuffer(key, start, start + readBatch - 1)
            .exec()) as [[Error | null, number], [Error | null, Buffer[]]];
          if (lengthError) throw lengthError;
          if (rangeError) throw rangeError;
          let batch = range;
          for (;;) {
            if (batch.length !== Math.min(readBatch, length - start)) {
              throw new BodyChangedError(messageId);
            }
            start += batch.length;
            yield* release(batch);
            if (start === length) return;
            batch = await redis.lrangeBuffer(key, start, start + readBatch - 1);
          }
        },
      };
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
    async *listBodyIds(batchSize = DEFAULT_LIST_BATCH) {
      const match = `${globLiteral(bodyKeyPrefix)}*`;
      let cursor = '0';
      do {
        // SCAN, not KEYS: each call looks at about `batchSize` keys, so Redis
        // keeps serving ingress and senders while millions of bodies are listed.
        const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', batchSize);
        cursor = next;
        const ids = keys
          .map((key) => key.slice(bodyKeyPrefix.length))
          // A message id never holds ':'; such a key belongs to another prefix
          // that happens to start with ours and `:body:`.
          .filter((id) => id.length > 0 && !id.includes(':'));
        // COUNT is a hint: a page may come back larger than asked.
        for (let start = 0; start < ids.length; start += batchSize) {
          yield ids.slice(start, start + batchSize);
        }
      } while (cursor !== '0');
    },
    async idleSeconds(messageId) {
      // OBJECT IDLETIME does not count as an access: asking does not reset it.
      const idle = await redis.object('IDLETIME', bodyKey(messageId));
      return idle === null ? undefined : Number(idle);
    },
  };
}

/** Yields the chunks one by one, dropping each from the batch as it goes. */
function* release(batch: Buffer[]): Generator<Buffer> {
  for (let chunk = batch.shift(); chunk !== undefined; chunk = batch.shift()) yield chunk;
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
