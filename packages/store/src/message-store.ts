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
  openWriter(messageId: string): BodyWriter;
  /** undefined when the body does not exist (deleted, or never stored). */
  read(messageId: string): Promise<Buffer | undefined>;
  delete(messageId: string): Promise<void>;
}
