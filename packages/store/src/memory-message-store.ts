import {
  BodyChangedError,
  type BodyWriter,
  type MessageStore,
  type StoredBodies,
} from './message-store.ts';

export interface MemoryMessageStoreOptions {
  /** Clock, epoch ms (default Date.now): tests move it instead of waiting. */
  readonly now?: () => number;
}

interface StoredBody {
  readonly chunks: Buffer[];
  touchedAt: number;
}

const DEFAULT_LIST_BATCH = 500;

/**
 * A MessageStore in this process's memory with the Redis store's behaviour
 * (chunks kept as written, an empty body still exists, reads count as a touch
 * for idleSeconds): the fake for unit tests of whatever reads or writes bodies.
 */
export function createMemoryMessageStore(
  options: MemoryMessageStoreOptions = {},
): MessageStore & StoredBodies {
  const now = options.now ?? Date.now;
  const bodies = new Map<string, StoredBody>();

  function touch(messageId: string): StoredBody | undefined {
    const body = bodies.get(messageId);
    if (body) body.touchedAt = now();
    return body;
  }

  function openWriter(messageId: string): BodyWriter {
    let size = 0;
    let started = false;
    const append = (chunk: Buffer): void => {
      const body = bodies.get(messageId) ?? { chunks: [], touchedAt: now() };
      // A copy: the caller may reuse its buffer for the next chunk.
      body.chunks.push(Buffer.from(chunk));
      body.touchedAt = now();
      bodies.set(messageId, body);
      started = true;
    };
    return {
      write(chunk) {
        append(chunk);
        size += chunk.length;
        return Promise.resolve();
      },
      finish() {
        if (!started) append(Buffer.alloc(0));
        return Promise.resolve(size);
      },
      abort() {
        if (started) bodies.delete(messageId);
        return Promise.resolve();
      },
    };
  }

  return {
    openWriter,
    readChunks(messageId) {
      const body = touch(messageId);
      return Promise.resolve(body ? [...body.chunks] : undefined);
    },
    streamChunks(messageId) {
      if (!touch(messageId)) return Promise.resolve(undefined);
      return Promise.resolve({
        async *[Symbol.asyncIterator]() {
          const body = bodies.get(messageId);
          if (!body) throw new BodyChangedError(messageId);
          for (const chunk of [...body.chunks]) {
            // A pause per chunk, as the Redis store's round trips: the store may change meanwhile.
            await Promise.resolve();
            if (bodies.get(messageId) !== body) throw new BodyChangedError(messageId);
            yield chunk;
          }
        },
      });
    },
    readHead(messageId, bytes) {
      const body = touch(messageId);
      if (!body) return Promise.resolve(undefined);
      const head: Buffer[] = [];
      let size = 0;
      for (const chunk of body.chunks) {
        if (size >= bytes) break;
        head.push(chunk);
        size += chunk.length;
      }
      return Promise.resolve(Buffer.concat(head, size));
    },
    exists(messageId) {
      return Promise.resolve(bodies.has(messageId));
    },
    delete(messageId) {
      bodies.delete(messageId);
      return Promise.resolve();
    },
    async *listBodyIds(batchSize = DEFAULT_LIST_BATCH) {
      const ids = [...bodies.keys()];
      for (let start = 0; start < ids.length; start += batchSize) {
        // A pause per batch, as the Redis store's round trip: the store may change meanwhile.
        await Promise.resolve();
        yield ids.slice(start, start + batchSize);
      }
    },
    idleSeconds(messageId) {
      const body = bodies.get(messageId);
      return Promise.resolve(
        body ? Math.max(0, Math.floor((now() - body.touchedAt) / 1000)) : undefined,
      );
    },
  };
}
