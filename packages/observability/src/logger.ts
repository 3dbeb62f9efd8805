import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** `ingress`, `sender`, `all-in-one` or `cli` */
  readonly service: string;
  readonly version: string;
  readonly level: string;
  /** Where to write; stdout unless a test captures it. */
  readonly destination?: NodeJS.WritableStream;
}

// Secrets must never reach a log line, whatever a caller passes in by mistake.
const REDACTED_PATHS = [
  'password',
  'pass',
  'secret',
  'token',
  'auth.password',
  'auth.pass',
  'credentials',
  'authorization',
  '*.password',
  '*.pass',
  '*.secret',
  '*.token',
  'req.headers.authorization',
  'headers.authorization',
  // ioredis attaches the failed command to its errors: its arguments can be a
  // message body chunk (RPUSH), which must never reach a log line.
  'err.command',
  'err.cause.command',
  '*.err.command',
];

/**
 * JSON lines to stdout with `service` and `version` on each line. Events carry a
 * dotted `event` field with a fixed meaning (see docs/logging.md).
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: options.service, version: options.version },
      redact: { paths: REDACTED_PATHS, censor: '<redacted>' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/** Flushes what pino buffered; needed before process.exit. */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    logger.flush(() => {
      resolve();
    });
  });
}
