// Message bodies live apart from queue jobs (claim check): the job carries the
// envelope and the message id, the store carries the bytes, binary-safe. How
// bodies are keyed is the store's business: callers only ever name a message id.

export interface BodyWriter {
  /** Resolves once the chunk is buffered or flushed; awaiting it is backpressure. */
  write(chunk: Buffer): Promise<void>;
  /** Flushes the rest and resolves with the stored size in bytes. */
  finish(): Promise<number>;
  /** Removes whatever was written. Never rejects. */
  abort(): Promise<void>;
}

export interface MessageStore {
  /** A writer for a new body; the id must not have a body yet (see delete). */
  openWriter(messageId: string): BodyWriter;
  /**
   * The body as the chunks it was stored in (a large body is never one
   * contiguous buffer), or undefined when it does not exist.
   */
  readChunks(messageId: string): Promise<Buffer[] | undefined>;
  /**
   * The body's chunks in stored order, fetched from the store a few at a time
   * as the caller consumes them, so that a large body is never held whole (a
   * 20 MiB message in flight costs about 1 MiB, not 20); undefined when it does
   * not exist. The first chunks are read before this resolves: a small body
   * costs one command, as readChunks. Iterating fails with BodyChangedError if
   * the body is deleted or changes meanwhile: never a silently shorter body.
   * Each iteration reads the body again from its start.
   */
  streamChunks(messageId: string): Promise<AsyncIterable<Buffer> | undefined>;
  /** The first bytes of the body (at least `bytes` unless it is shorter): for headers. */
  readHead(messageId: string, bytes: number): Promise<Buffer | undefined>;
  exists(messageId: string): Promise<boolean>;
  delete(messageId: string): Promise<void>;
}

/**
 * The store as a whole rather than one body: for the orphan sweep, which looks
 * for bodies no job refers to any more.
 */
export interface StoredBodies {
  /**
   * The message id of every stored body, in batches of at most `batchSize`
   * (default 500), without blocking the store for long. A body written or
   * deleted during the listing may or may not be in it, and an id may come
   * more than once: what a caller does with an id must be safe to repeat.
   */
  listBodyIds(batchSize?: number): AsyncIterable<readonly string[]>;
  /** Seconds since the body was last written or read; undefined when there is none. */
  idleSeconds(messageId: string): Promise<number | undefined>;
}

/** A body deleted or changed while streamChunks was reading it. */
export class BodyChangedError extends Error {
  constructor(messageId: string) {
    super(`the body of ${messageId} was deleted or changed while it was being read`);
    this.name = 'BodyChangedError';
  }
}
