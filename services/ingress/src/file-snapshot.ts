import type { BigIntStats } from 'node:fs';
import { open } from 'node:fs/promises';

/** A watched file's text and the version it was read at (credentials, filter rules). */
export interface FileSnapshot {
  readonly text: string;
  /** Identifies this version of the file: device, inode, size and mtime. */
  readonly version: string;
}

const READ_ATTEMPTS = 3;

function versionOf(stats: BigIntStats): string {
  return [stats.dev, stats.ino, stats.size, stats.mtimeNs].join(':');
}

/**
 * Reads the file through one descriptor, so the text and its version belong together
 * even while the path is renamed over, and retries if a writer changed it meanwhile.
 */
export async function readSnapshot(path: string): Promise<FileSnapshot> {
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
