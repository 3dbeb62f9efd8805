import { captureLogs, type CapturedLogs } from '@smtp-relay/testkit';
import { createLogger, type Logger } from '../src/logger.ts';

/** The services' logger, writing to memory instead of stdout. */
export function createCapturedLogger(): CapturedLogs<Logger> {
  return captureLogs((destination) =>
    createLogger({ service: 'test', version: 'test', level: 'debug', destination }),
  );
}
