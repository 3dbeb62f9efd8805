import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@smtp-relay/observability';

export interface CapturedLogger {
  readonly logger: Logger;
  /** The JSON lines written so far. */
  lines(): Record<string, unknown>[];
  /** The `event` field of each line, in order. */
  events(): string[];
}

/** The service's own logger, writing to memory (synchronously) instead of stdout. */
export function createCapturedLogger(): CapturedLogger {
  const written: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      written.push(chunk.toString());
      callback();
    },
  });
  const logger = createLogger({ service: 'sender', version: 'test', level: 'debug', destination });
  const lines = (): Record<string, unknown>[] =>
    written
      .join('')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return {
    logger,
    lines,
    events: () => lines().map((line) => String(line['event'])),
  };
}
