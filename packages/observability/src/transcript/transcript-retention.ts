import type { Dirent } from 'node:fs';
import { readdir, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';

export interface PruneResult {
  readonly files: number;
  readonly folders: number;
}

const DATE_FOLDER = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/**
 * Removes transcript files (`<dir>/<YYYY-MM-DD>/*.log`) last written before
 * `now - retentionMs`, and date folders left empty whose whole day lies before
 * that. Anything else in the directory is not ours and stays.
 */
export async function pruneTranscripts(
  dir: string,
  retentionMs: number,
  now: number = Date.now(),
): Promise<PruneResult> {
  const cutoff = now - retentionMs;
  let files = 0;
  let folders = 0;
  for (const folder of await entriesOf(dir)) {
    if (!folder.isDirectory() || !DATE_FOLDER.test(folder.name)) continue;
    const folderPath = join(dir, folder.name);
    const entries = await entriesOf(folderPath);
    let left = entries.length;
    for (const entry of entries) {
      if (!entry.isFile() || !entry.name.endsWith('.log')) continue;
      const path = join(folderPath, entry.name);
      const modified = await modifiedAt(path);
      if (modified !== undefined && modified >= cutoff) continue;
      await rm(path, { force: true });
      if (modified !== undefined) files++;
      left--;
    }
    // A folder's sessions all started on its day; today's may be empty only
    // for the moment between its mkdir and its first file.
    const dayEnd = Date.parse(`${folder.name}T00:00:00Z`) + DAY_MS;
    if (left === 0 && dayEnd < cutoff && (await removeEmptyFolder(folderPath))) folders++;
  }
  return { files, folders };
}

export interface TranscriptRetentionOptions {
  readonly dir: string;
  readonly retentionMs: number;
  readonly logger: Logger;
  /** Default: hourly, or the retention when that is shorter. */
  readonly intervalMs?: number;
}

export interface TranscriptRetention {
  /** The first pass, started at once (tests). */
  readonly firstPass: Promise<void>;
  stop(): void;
}

/** Prunes at start and then periodically on an unref'd timer; failures are logged. */
export function startTranscriptRetention(options: TranscriptRetentionOptions): TranscriptRetention {
  let running = false;
  const pass = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      const result = await pruneTranscripts(options.dir, options.retentionMs);
      if (result.files > 0 || result.folders > 0) {
        options.logger.info(
          { event: 'transcript.pruned', dir: options.dir, ...result },
          'removed expired session transcripts',
        );
      }
    } catch (error) {
      options.logger.warn(
        { event: 'transcript.prune-failed', dir: options.dir, err: error },
        'could not remove expired session transcripts',
      );
    } finally {
      running = false;
    }
  };
  const timer = setInterval(
    () => {
      void pass();
    },
    options.intervalMs ?? Math.min(HOUR_MS, options.retentionMs),
  );
  timer.unref();
  return {
    firstPass: pass(),
    stop() {
      clearInterval(timer);
    },
  };
}

async function entriesOf(path: string): Promise<Dirent[]> {
  try {
    return await readdir(path, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** undefined when the file is already gone. */
async function modifiedAt(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mtimeMs;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function removeEmptyFolder(path: string): Promise<boolean> {
  try {
    await rmdir(path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // A session wrote into it meanwhile, or another replica removed it.
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT') return false;
    throw error;
  }
}
