import { parseSendersFile, type SenderRules } from '@smtp-relay/policy';
import { watchTextFile } from '../watched-text-file.ts';

/** The part of a pino logger this module uses. */
interface SendersFileLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface SendersFileOptions {
  /** SMTP_SENDERS_FILE */
  readonly path: string;
  readonly logger: SendersFileLogger;
  /** How often the file is checked for changes; default 2000 ms. */
  readonly pollIntervalMs?: number;
}

/** Who may use which MAIL FROM addresses, kept current while the file changes. */
export interface SendersFile {
  rules(): SenderRules;
  /** Stops watching; rules() keeps answering with the last rules loaded. */
  close(): void;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Loads SMTP_SENDERS_FILE and reloads it when it changes, as SMTP_FILTER_FILE is
 * (docs/reference.md "Sender address rules"): ingress does not start without the
 * restrictions it was told to apply, a line that does not parse is logged with
 * its number, and a reload that cannot read the file, or finds it empty (a writer
 * that truncated it and has not written yet), keeps the rules loaded before and
 * logs an error. To lift every restriction, leave a comment line. Lifting them
 * because the file went away would let every listed user use any address.
 */
export async function createSendersFile(options: SendersFileOptions): Promise<SendersFile> {
  const { path, logger } = options;
  let rules: SenderRules = new Map();

  function install(text: string, first: boolean): void {
    if (!first && text.length === 0) {
      logger.error(
        { event: 'senders.reload-failed', path },
        `the senders file is empty; keeping the rules of the ${String(rules.size)} user(s) loaded before`,
      );
      return;
    }
    const parsed = parseSendersFile(text);
    for (const { line, message } of parsed.problems) {
      logger.warn(
        { event: 'senders.invalid-line', path, line },
        `${path} line ${String(line)}: ${message}`,
      );
    }
    rules = parsed.rules;
    logger.info(
      {
        event: first ? 'senders.loaded' : 'senders.reloaded',
        path,
        users: rules.size,
        problems: parsed.problems.length,
      },
      first ? 'sender address rules loaded' : 'sender address rules reloaded',
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
          { event: 'senders.reload-failed', path },
          `cannot read the senders file (${reasonOf(error)}); ` +
            `keeping the rules of the ${String(rules.size)} user(s) loaded before`,
        );
      },
    });
  } catch (error) {
    throw new Error(
      `cannot read the senders file ${path} (SMTP_SENDERS_FILE): ${reasonOf(error)}`,
      { cause: error },
    );
  }
  return {
    rules: () => rules,
    close: () => {
      watched.close();
    },
  };
}
