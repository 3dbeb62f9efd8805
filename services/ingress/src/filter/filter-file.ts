import { parseFilterFile, type FilterRule } from '@smtp-relay/policy';
import { watchTextFile } from '../watched-text-file.ts';

/** The part of a pino logger this module uses. */
interface FilterFileLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface FilterFileOptions {
  /** SMTP_FILTER_FILE */
  readonly path: string;
  readonly logger: FilterFileLogger;
  /** How often the file is checked for changes; default 2000 ms. */
  readonly pollIntervalMs?: number;
}

/** The rules of the filter file, kept current while the file changes. */
export interface FilterFile {
  rules(): readonly FilterRule[];
  /** Stops watching; rules() keeps answering with the last rules loaded. */
  close(): void;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Loads SMTP_FILTER_FILE (throws if it cannot be read: ingress does not start
 * without the rules it was told to apply) and reloads it when it changes. Each
 * line that does not parse is logged with its number and skipped, the others
 * apply. A reload that cannot read the file, or finds it empty (a writer that
 * truncated it and has not written yet), keeps the rules loaded before and logs
 * an error; to remove every rule, leave a comment line.
 */
export async function createFilterFile(options: FilterFileOptions): Promise<FilterFile> {
  const { path, logger } = options;
  let rules: readonly FilterRule[] = [];

  function install(text: string, first: boolean): void {
    if (!first && text.length === 0) {
      logger.error(
        { event: 'filter.reload-failed', path },
        `the filter file is empty; keeping the ${String(rules.length)} rule(s) loaded before`,
      );
      return;
    }
    const parsed = parseFilterFile(text);
    for (const { line, message } of parsed.problems) {
      logger.warn(
        { event: 'filter.invalid-line', path, line },
        `${path} line ${String(line)} skipped: ${message}`,
      );
    }
    rules = parsed.rules;
    logger.info(
      {
        event: first ? 'filter.loaded' : 'filter.reloaded',
        path,
        rules: rules.length,
        skipped: parsed.problems.length,
      },
      first ? 'filter rules loaded' : 'filter rules reloaded',
    );
  }

  let watched;
  try {
    watched = await watchTextFile({
      path,
      ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
      onText: install,
      onReadError: (error) => {
        logger.error(
          { event: 'filter.reload-failed', path },
          `cannot read the filter file (${reasonOf(error)}); ` +
            `keeping the ${String(rules.length)} rule(s) loaded before`,
        );
      },
    });
  } catch (error) {
    throw new Error(`cannot read the filter file ${path} (SMTP_FILTER_FILE): ${reasonOf(error)}`, {
      cause: error,
    });
  }
  return {
    rules: () => rules,
    close: () => {
      watched.close();
    },
  };
}
