import { unwatchFile, watchFile } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import {
  authenticate,
  createVerificationCache,
  parseCredentials,
  type ConcurrencyLimit,
  type StoredSecret,
} from '@smtp-relay/policy';
import { readSnapshot, type FileSnapshot } from './file-snapshot.ts';

/** The part of a pino logger this module uses. */
export interface CredentialsFileLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface CredentialsFileOptions {
  /** SMTP_AUTH_FILE */
  readonly path: string;
  readonly logger: CredentialsFileLogger;
  /** How often the file is checked for changes; default 2000 ms. */
  readonly pollIntervalMs?: number;
  /** The semaphore hash checks go through; default: the process-wide one. */
  readonly hashLimit?: ConcurrencyLimit;
}

/** The users of the credentials file, kept current while the file changes. */
export interface CredentialsFile {
  /**
   * True for a right password. Rejects with CredentialsUnavailableError while the
   * file exists but cannot be read (AUTH then answers 454 4.7.0, a temporary failure).
   */
  verify(username: string, password: string): Promise<boolean>;
  userCount(): number;
  /** Stops watching the file; verify keeps answering from the last users loaded. */
  close(): void;
}

export class CredentialsUnavailableError extends Error {
  override readonly name = 'CredentialsUnavailableError';
}

type ReadResult =
  | { readonly kind: 'file'; readonly snapshot: FileSnapshot }
  | { readonly kind: 'missing'; readonly reason: string }
  | { readonly kind: 'unreadable'; readonly reason: string };

const DEFAULT_POLL_INTERVAL_MS = 2000;
// An editor's save may leave the path missing (rename the old file away, write the
// new one) or empty (truncate, then write) for a moment. Such a state counts only
// once it has lasted this long: a removal then revokes, a save never flaps.
const SETTLE_MS = 500;
const SETTLE_STEP_MS = 50;
const MAX_RETRY_MS = 60_000;
const MISSING = 'missing';

function ignore(): void {
  // A failed first load is reported by createCredentialsFile itself.
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function readOnce(path: string): Promise<ReadResult> {
  try {
    return { kind: 'file', snapshot: await readSnapshot(path) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const missing = code === 'ENOENT' || code === 'ENOTDIR';
    return { kind: missing ? 'missing' : 'unreadable', reason: reasonOf(error) };
  }
}

/** Reads again while the file is missing or empty, for up to SETTLE_MS. */
async function readSettled(path: string): Promise<ReadResult> {
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    const result = await readOnce(path);
    const settled =
      result.kind === 'unreadable' || (result.kind === 'file' && result.snapshot.text !== '');
    if (settled || Date.now() >= deadline) return result;
    await delay(SETTLE_STEP_MS);
  }
}

/**
 * Loads the credentials file (throws if it cannot be read) and reloads it when it
 * changes. Changes are found by polling stat() (fs.watchFile), not fs.watch: polling
 * also sees editors that replace the file, Docker bind mounts and Kubernetes secret
 * volumes, whose symlink swap inotify on the old inode never reports.
 *
 * The users are what the file holds now, as Postfix and Dovecot treat their password
 * maps: an empty file has no users (logged at warn), a deleted one neither (logged at
 * error), each once it has stayed so for SETTLE_MS. A file that exists but cannot be
 * read (permissions, I/O) fails every AUTH temporarily (454, logged at error at each
 * retry, with backoff) until a read succeeds. Remembered logins are forgotten
 * whenever the users change. Logs carry counts and line numbers, never passwords,
 * hashes or usernames.
 */
export async function createCredentialsFile(
  options: CredentialsFileOptions,
): Promise<CredentialsFile> {
  const { path, logger } = options;
  const interval = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const authenticateOptions = options.hashLimit ? { limit: options.hashLimit } : {};
  let users: ReadonlyMap<string, StoredSecret> = new Map();
  let costlyUsers: ReadonlySet<string> = new Set();
  const verified = createVerificationCache();
  let loadedVersion = '';
  let unreadable: string | undefined;
  let retryAttempt = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  let closed = false;

  function replaceUsers(
    next: ReadonlyMap<string, StoredSecret>,
    version: string,
    nextCostly: ReadonlySet<string> = new Set(),
  ): number {
    const previous = users.size;
    users = next;
    costlyUsers = nextCostly;
    verified.clear();
    loadedVersion = version;
    return previous;
  }

  function install(snapshot: FileSnapshot, event: 'credentials.loaded' | 'credentials.reloaded') {
    const parsed = parseCredentials(snapshot.text);
    for (const { line, message } of parsed.problems) {
      logger.warn({ event: 'credentials.invalid-line', line, path }, message);
    }
    const plainText = [...parsed.users.values()].filter(({ kind }) => kind === 'plain').length;
    if (plainText > 0) {
      logger.warn(
        { event: 'credentials.plain-text', path, users: plainText },
        `${plainText} user(s) have a plain-text password; replace each with the output of ` +
          '`npx smtp-relay passwd`',
      );
    }
    const previous = replaceUsers(parsed.users, snapshot.version, parsed.costlyUsers);
    if (users.size === 0) {
      logger.warn(
        { event: 'credentials.no-users', path, previousUsers: previous },
        'the credentials file has no usable user: every AUTH fails',
      );
    }
    const message = event === 'credentials.loaded' ? 'credentials loaded' : 'credentials reloaded';
    logger.info({ event, path, users: users.size }, message);
  }

  function stopRetrying(): void {
    clearTimeout(retryTimer);
    retryTimer = undefined;
    retryAttempt = 0;
  }

  async function reload(): Promise<void> {
    const result = await readSettled(path);
    if (closed) return;
    if (result.kind === 'unreadable') {
      unreadable = result.reason;
      loadedVersion = ''; // so that reading it again installs (and logs) it
      const retryMs = Math.min(interval * 2 ** retryAttempt++, MAX_RETRY_MS);
      logger.error(
        { event: 'credentials.unreadable', path, retryMs },
        `cannot read the credentials file (${result.reason}); every AUTH fails ` +
          `temporarily (454) until it can be read, next try in ${String(retryMs)} ms`,
      );
      clearTimeout(retryTimer);
      retryTimer = setTimeout(onChange, retryMs).unref();
      return;
    }
    stopRetrying();
    unreadable = undefined;
    if (result.kind === 'missing') {
      if (loadedVersion === MISSING) return;
      const previous = replaceUsers(new Map(), MISSING);
      logger.error(
        { event: 'credentials.missing', path, previousUsers: previous },
        `the credentials file is gone (${result.reason}): no users, every AUTH fails until ` +
          'it is back',
      );
      return;
    }
    if (result.snapshot.version !== loadedVersion) install(result.snapshot, 'credentials.reloaded');
  }

  // Watch from before the first read, so a change made while it runs is not missed.
  // Reloads queue up: one at a time, and none before the first load has finished.
  let reloads: Promise<void> = Promise.resolve();
  function onChange(): void {
    reloads = reloads.then(reload);
  }
  watchFile(path, { bigint: true, persistent: false, interval }, onChange);
  const firstLoad = readSnapshot(path).then((snapshot) => {
    install(snapshot, 'credentials.loaded');
  });
  reloads = firstLoad.then(ignore, ignore);

  try {
    await firstLoad;
  } catch (error) {
    closed = true;
    unwatchFile(path, onChange);
    const reason = reasonOf(error);
    throw new Error(`cannot read the credentials file ${path} (SMTP_AUTH_FILE): ${reason}`, {
      cause: error,
    });
  }

  return {
    async verify(username, password) {
      if (unreadable !== undefined) {
        throw new CredentialsUnavailableError(`the credentials file cannot be read: ${unreadable}`);
      }
      if (costlyUsers.has(username)) {
        throw new CredentialsUnavailableError(
          "this user's hash needs more memory or time than allowed (credentials.invalid-line says which line)",
        );
      }
      const checked = users;
      const secret = checked.get(username);
      if (secret !== undefined && verified.has(username, password, secret)) return true;
      const valid = (await authenticate(checked, username, password, authenticateOptions)) === 'ok';
      // The file may have changed during the check: a user removed meanwhile is out.
      if (!valid || secret === undefined || users.get(username)?.value !== secret.value) {
        return false;
      }
      if (checked === users) verified.add(username, password, secret);
      return true;
    },
    userCount: () => users.size,
    close() {
      closed = true;
      stopRetrying();
      unwatchFile(path, onChange);
    },
  };
}
