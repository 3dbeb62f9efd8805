import { unwatchFile, watchFile, type BigIntStats } from 'node:fs';
import { open } from 'node:fs/promises';
import {
  authenticate,
  createVerificationCache,
  parseCredentials,
  type StoredSecret,
} from '@smtp-relay/policy';

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
}

/** The users of the credentials file, kept current while the file changes. */
export interface CredentialsFile {
  verify(username: string, password: string): Promise<boolean>;
  userCount(): number;
  /** Stops watching the file; verify keeps answering from the last users loaded. */
  close(): void;
}

interface FileSnapshot {
  readonly text: string;
  /** Identifies this version of the file: device, inode, size and mtime. */
  readonly version: string;
}

const DEFAULT_POLL_INTERVAL_MS = 2000;
const READ_ATTEMPTS = 3;

function versionOf(stats: BigIntStats): string {
  return [stats.dev, stats.ino, stats.size, stats.mtimeNs].join(':');
}

function ignore(): void {
  // A failed first load is reported by createCredentialsFile itself.
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Reads the file through one descriptor, so the text and its version belong together
 * even while the path is renamed over, and retries if a writer changed it meanwhile.
 */
async function readSnapshot(path: string): Promise<FileSnapshot> {
  for (let attempt = 1; ; attempt++) {
    const handle = await open(path, 'r');
    try {
      const before = versionOf(await handle.stat({ bigint: true }));
      const text = await handle.readFile('utf8');
      const after = versionOf(await handle.stat({ bigint: true }));
      if (before === after) return { text, version: after };
      if (attempt === READ_ATTEMPTS) throw new Error('the file kept changing while being read');
    } finally {
      await handle.close();
    }
  }
}

/**
 * Loads the credentials file (throws if it cannot be read) and reloads it when it
 * changes. Changes are found by polling stat() (fs.watchFile), not fs.watch: polling
 * also sees editors that replace the file, Docker bind mounts and Kubernetes secret
 * volumes, whose symlink swap inotify on the old inode never reports.
 *
 * A reload that cannot read the file, or finds it empty (zero bytes: a writer that
 * truncated it and has not written yet, or a deleted and re-created file), keeps the
 * users loaded before and logs an error. To remove every user, leave a comment line.
 * Logs carry counts and line numbers, never passwords, hashes or usernames.
 */
export async function createCredentialsFile(
  options: CredentialsFileOptions,
): Promise<CredentialsFile> {
  const { path, logger } = options;
  let users: ReadonlyMap<string, StoredSecret> = new Map();
  const verified = createVerificationCache();
  let loadedVersion = '';
  let closed = false;

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
    if (parsed.users.size === 0) {
      logger.warn({ event: 'credentials.no-users', path }, 'no usable user: every AUTH will fail');
    }
    users = parsed.users;
    verified.clear();
    loadedVersion = snapshot.version;
    const message = event === 'credentials.loaded' ? 'credentials loaded' : 'credentials reloaded';
    logger.info({ event, path, users: users.size }, message);
  }

  async function reload(): Promise<void> {
    let snapshot: FileSnapshot;
    try {
      snapshot = await readSnapshot(path);
    } catch (error) {
      if (closed) return;
      logger.error(
        { event: 'credentials.reload-failed', path },
        `cannot read the credentials file (${reasonOf(error)}); ` +
          `keeping the ${users.size} user(s) loaded before`,
      );
      return;
    }
    if (closed || snapshot.version === loadedVersion) return;
    if (snapshot.text.length === 0) {
      logger.error(
        { event: 'credentials.reload-failed', path },
        `the credentials file is empty; keeping the ${users.size} user(s) loaded before`,
      );
      return;
    }
    install(snapshot, 'credentials.reloaded');
  }

  // Watch from before the first read, so a change made while it runs is not missed.
  // Reloads queue up: one at a time, and none before the first load has finished.
  let reloads: Promise<void> = Promise.resolve();
  const onChange = (): void => {
    reloads = reloads.then(reload);
  };
  const interval = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
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
      const secret = users.get(username);
      if (secret !== undefined && verified.has(username, password, secret)) return true;
      const valid = (await authenticate(users, username, password)) === 'ok';
      if (valid && secret !== undefined) verified.add(username, password, secret);
      return valid;
    },
    userCount: () => users.size,
    close() {
      closed = true;
      unwatchFile(path, onChange);
    },
  };
}
