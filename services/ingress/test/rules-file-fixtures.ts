import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';

// What the tests of the watched rules files (SMTP_FILTER_FILE, SMTP_SENDERS_FILE)
// share: a logger that records what it is told, and files in a temporary
// directory, each opened with a short poll interval and closed at the end.

export interface LogRecord {
  readonly level: string;
  readonly fields: Readonly<Record<string, unknown>>;
  readonly message: string | undefined;
}

export function recordingLogger() {
  const records: LogRecord[] = [];
  const at =
    (level: string) =>
    (fields: object, message?: string): void => {
      records.push({ level, fields: { ...fields }, message });
    };
  return { records, info: at('info'), warn: at('warn'), error: at('error') };
}

type RecordingLogger = ReturnType<typeof recordingLogger>;

export const events = (records: readonly LogRecord[], event: string): LogRecord[] =>
  records.filter((record) => record.fields['event'] === event);

interface RulesFileFixtures<F> {
  /** Writes `text` to a new file, opens it polling every 20 ms, and hands back all three. */
  readonly open: (text: string) => Promise<{ path: string; logger: RecordingLogger; file: F }>;
  /** A path in the temporary directory, for a file not written. */
  readonly pathOf: (name: string) => string;
}

/**
 * Registers before/after hooks in the calling describe: a temporary directory
 * named `${prefix}…`, removed at the end with every file `open` opened closed.
 */
export function useRulesFiles<F extends { close(): void }>(
  prefix: string,
  fileName: (number: number) => string,
  create: (options: {
    path: string;
    logger: RecordingLogger;
    pollIntervalMs: number;
  }) => Promise<F>,
): RulesFileFixtures<F> {
  let directory = '';
  let number = 0;
  const opened: F[] = [];

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), prefix));
  });
  after(async () => {
    for (const file of opened) file.close();
    await rm(directory, { recursive: true, force: true });
  });

  return {
    open: async (text) => {
      const path = join(directory, fileName(++number));
      await writeFile(path, text);
      const logger = recordingLogger();
      const file = await create({ path, logger, pollIntervalMs: 20 });
      opened.push(file);
      return { path, logger, file };
    },
    pathOf: (name) => join(directory, name),
  };
}
