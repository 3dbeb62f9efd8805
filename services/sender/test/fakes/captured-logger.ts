import { createLogger, type Logger } from '@smtp-relay/observability';
import { captureLogs, type CapturedLogs } from '@smtp-relay/testkit';

/** The service's own logger, writing to memory (synchronously) instead of stdout. */
export function createCapturedLogger(): CapturedLogs<Logger> {
  return captureLogs((destination) =>
    createLogger({ service: 'sender', version: 'test', level: 'debug', destination }),
  );
}
