import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../src/logger.ts';

export interface CapturedLogger {
  readonly logger: Logger;
  /** The JSON lines written so far. */
  lines(): Record<string, unknown>[];
}

/** The services' logger, writing to memory instead of stdout. */
export function createCapturedLogger(): CapturedLogger {
  const written: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      written.push(chunk.toString());
      callback();
    },
  });
  const logger = createLogger({ service: 'test', version: 'test', level: 'debug', destination });
  return {
    logger,
    lines: () =>
      written
        .join('')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
