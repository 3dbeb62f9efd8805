type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** The `logger` option of smtp-server and nodemailer: bunyan style, fields first. */
export type BunyanStyleLogger = Record<Level, (...args: unknown[]) => void>;

/** One call of a library on its logger: `logger.debug({ tnx: 'client' }, 'EHLO x')`. */
export interface LibraryLogEntry {
  readonly level: Level;
  readonly fields: Readonly<Record<string, unknown>>;
  /** The message (a printf format for smtp-server, the line itself for nodemailer). */
  readonly message: string;
  readonly args: readonly unknown[];
}

const LEVELS: readonly Level[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/**
 * A logger for a library that hands each call to `record`. Whatever `record`
 * throws stays here: a transcript must never break the SMTP session it records.
 */
export function bunyanStyleLogger(record: (entry: LibraryLogEntry) => void): BunyanStyleLogger {
  const method =
    (level: Level) =>
    (...args: unknown[]): void => {
      try {
        const [first, ...rest] = args;
        const hasFields = typeof first === 'object' && first !== null;
        const [message, ...formatArgs] = hasFields ? rest : args;
        record({
          level,
          fields: hasFields ? (first as Record<string, unknown>) : {},
          message: typeof message === 'string' ? message : '',
          args: formatArgs,
        });
      } catch {
        // Nothing to do: the line is lost, the session goes on.
      }
    };
  return Object.fromEntries(LEVELS.map((level) => [level, method(level)])) as BunyanStyleLogger;
}
