// Message bodies live apart from queue jobs (claim check): the job carries the
// envelope and a key, the store carries the bytes, binary-safe.

export interface BodyWriter {
  /** Resolves once the chunk is buffered or flushed; awaiting it is backpressure. */
  write(chunk: Buffer): Promise<void>;
  /** Flushes the rest and resolves with the stored size in bytes. */
  finish(): Promise<number>;
  /** Removes whatever was written. Never rejects. */
  abort(): Promise<void>;
}

export interface MessageStore {
  bodyKey(messageId: string): string;
  /** A writer for a new body; the id must not have a body yet (see delete). */
  openWriter(messageId: string): BodyWriter;
  /**
   * The body as the chunks it was stored in (a large body is never one
   * contiguous buffer), or undefined when it does not exist.
   */
  readChunks(messageId: string): Promise<Buffer[] | undefined>;
  /** The first bytes of the body (at least `bytes` unless it is shorter): for headers. */
  readHead(messageId: string, bytes: number): Promise<Buffer | undefined>;
  exists(messageId: string): Promise<boolean>;
  delete(messageId: string): Promise<void>;
}
