import { unwatchFile, watchFile } from 'node:fs';
import { readSnapshot, type FileSnapshot } from './file-snapshot.ts';

// A text file ingress follows while it runs (SMTP_FILTER_FILE), the same way
// credentials-file.ts follows SMTP_AUTH_FILE: changes found by polling stat()
// (fs.watchFile), which also sees editors that replace the file, Docker bind
// mounts and Kubernetes volumes whose symlink swap inotify on the old inode never
// reports; each version read through one descriptor and retried while a writer
// is still changing it.

export interface WatchedTextFileOptions {
  readonly path: string;
  /** How often the file is checked for changes; default 2000 ms. */
  readonly pollIntervalMs?: number;
  /** The text of the first version, then of each changed one, one call at a time. */
  readonly onText: (text: string, first: boolean) => void;
  /** A change was seen but the file could not be read; the last text stays in force. */
  readonly onReadError: (error: unknown) => void;
}

export interface WatchedTextFile {
  close(): void;
}

const DEFAULT_POLL_INTERVAL_MS = 2000;
function ignore(): void {
  // A failed first load is reported to the caller of watchTextFile.
}

/** Reads the file (rejects if it cannot) and calls onText again whenever it changes. */
export async function watchTextFile(options: WatchedTextFileOptions): Promise<WatchedTextFile> {
  const { path } = options;
  let loadedVersion = '';
  let closed = false;

  async function reload(): Promise<void> {
    let snapshot: FileSnapshot;
    try {
      snapshot = await readSnapshot(path);
    } catch (error) {
      if (!closed) options.onReadError(error);
      return;
    }
    if (closed || snapshot.version === loadedVersion) return;
    loadedVersion = snapshot.version;
    options.onText(snapshot.text, false);
  }

  // Watch from before the first read, so a change made while it runs is not missed.
  // Reloads queue up: one at a time, and none before the first load has finished.
  let reloads: Promise<void> = Promise.resolve();
  const onChange = (): void => {
    reloads = reloads.then(reload).catch(options.onReadError);
  };
  watchFile(
    path,
    {
      bigint: true,
      persistent: false,
      interval: options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
    },
    onChange,
  );
  const firstLoad = readSnapshot(path).then((snapshot) => {
    loadedVersion = snapshot.version;
    options.onText(snapshot.text, true);
  });
  reloads = firstLoad.then(ignore, ignore);
  try {
    await firstLoad;
  } catch (error) {
    closed = true;
    unwatchFile(path, onChange);
    throw error;
  }
  return {
    close() {
      closed = true;
      unwatchFile(path, onChange);
    },
  };
}
