import { Writable } from 'node:stream';

/** A logger writing to memory instead of stdout, and what it wrote. */
export interface CapturedLogs<L> {
  readonly logger: L;
  /** The JSON lines written so far. */
  readonly lines: () => Record<string, unknown>[];
  /** The `event` field of each line, in order. */
  readonly events: () => string[];
}

/**
 * A logger whose JSON lines stay in memory: `makeLogger` builds it (the services'
 * createLogger, which the testkit cannot import) on the destination it is handed.
 * pino hands each line to write() in one synchronous call, so the lines are there
 * as soon as the log call returns; writing a line whose `event` is `failingEvent`
 * throws from the log call itself, as a broken destination would.
 */
export function captureLogs<L>(
  makeLogger: (destination: Writable) => L,
  failingEvent?: string,
): CapturedLogs<L> {
  const lines: Record<string, unknown>[] = [];
  const destination = Object.assign(new Writable(), {
    write(text: string): boolean {
      for (const json of text.split('\n')) {
        if (json === '') continue;
        const line = JSON.parse(json) as Record<string, unknown>;
        if (failingEvent !== undefined && line['event'] === failingEvent) {
          throw new Error('log destination broke');
        }
        lines.push(line);
      }
      return true;
    },
  });
  return {
    logger: makeLogger(destination),
    lines: () => [...lines],
    events: () => lines.map((line) => String(line['event'])),
  };
}
