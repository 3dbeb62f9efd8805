import { watchTextFile } from './watched-text-file.ts';

// A rules file ingress loads at start and follows while it runs (SMTP_FILTER_FILE,
// SMTP_SENDERS_FILE): ingress does not start without the rules it was told to
// apply, each line that does not parse is logged with its number, and a reload
// that cannot read the file, or finds it empty (a writer that truncated it and
// has not written yet), keeps the rules loaded before and logs an error. To drop
// every rule, leave a comment line.

/** The part of a pino logger this module uses. */
interface RulesFileLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface RulesFileOptions {
  readonly path: string;
  readonly logger: RulesFileLogger;
  /** How often the file is checked for changes; default 2000 ms. */
  readonly pollIntervalMs?: number;
}

/** The rules of a file, kept current while the file changes. */
export interface WatchedRulesFile<R> {
  rules(): R;
  /** Stops watching; rules() keeps answering with the last rules loaded. */
  close(): void;
}

/** What tells one kind of rules file from another: its parser and its words in the log. */
export interface RulesFileKind<R> {
  readonly parse: (text: string) => {
    readonly rules: R;
    readonly problems: readonly { readonly line: number; readonly message: string }[];
  };
  /** The rules before the first load. */
  readonly empty: R;
  /** `filter`: the events are filter.loaded, .reloaded, .invalid-line and .reload-failed. */
  readonly eventPrefix: string;
  /** `filter file`, as in "cannot read the filter file". */
  readonly noun: string;
  /** `SMTP_FILTER_FILE`, named when the file cannot be read at start. */
  readonly variable: string;
  /** `filter rules`, as in "filter rules loaded". */
  readonly rulesName: string;
  /**
   * Whether a line that does not parse is left out of the rules: its warning
   * then says "line 4 skipped: …" and the loaded event counts it as `skipped`,
   * else "line 4: …" and `problems`.
   */
  readonly skipsInvalidLines: boolean;
  /** The field of the loaded event that counts the rules (`rules`), and its value. */
  readonly countField: string;
  readonly count: (rules: R) => number;
  /** The rules a failed reload keeps, as its message names them: `the 2 rule(s)`. */
  readonly describe: (rules: R) => string;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Loads the file (throws if it cannot be read) and reloads it when it changes. */
export async function watchRulesFile<R>(
  kind: RulesFileKind<R>,
  options: RulesFileOptions,
): Promise<WatchedRulesFile<R>> {
  const { path, logger } = options;
  const { eventPrefix, noun } = kind;
  let rules = kind.empty;

  function install(text: string, first: boolean): void {
    if (!first && text.length === 0) {
      logger.error(
        { event: `${eventPrefix}.reload-failed`, path },
        `the ${noun} is empty; keeping ${kind.describe(rules)} loaded before`,
      );
      return;
    }
    const parsed = kind.parse(text);
    const skipped = kind.skipsInvalidLines ? ' skipped' : '';
    for (const { line, message } of parsed.problems) {
      logger.warn(
        { event: `${eventPrefix}.invalid-line`, path, line },
        `${path} line ${String(line)}${skipped}: ${message}`,
      );
    }
    rules = parsed.rules;
    logger.info(
      {
        event: first ? `${eventPrefix}.loaded` : `${eventPrefix}.reloaded`,
        path,
        [kind.countField]: kind.count(rules),
        [kind.skipsInvalidLines ? 'skipped' : 'problems']: parsed.problems.length,
      },
      first ? `${kind.rulesName} loaded` : `${kind.rulesName} reloaded`,
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
          { event: `${eventPrefix}.reload-failed`, path },
          `cannot read the ${noun} (${reasonOf(error)}); ` +
            `keeping ${kind.describe(rules)} loaded before`,
        );
      },
    });
  } catch (error) {
    throw new Error(`cannot read the ${noun} ${path} (${kind.variable}): ${reasonOf(error)}`, {
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
