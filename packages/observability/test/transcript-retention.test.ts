import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createLogger } from '../src/logger.ts';
import {
  pruneTranscripts,
  startTranscriptRetention,
} from '../src/transcript/transcript-retention.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Files relative to `dir`, sorted, folders with a trailing slash when empty. */
async function tree(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) {
      found.push(entry.name);
      continue;
    }
    const inside = await readdir(join(dir, entry.name));
    if (inside.length === 0) found.push(`${entry.name}/`);
    for (const name of inside) found.push(`${entry.name}/${name}`);
  }
  return found.sort();
}

async function file(dir: string, path: string, modified: number): Promise<void> {
  const full = join(dir, path);
  await mkdir(join(full, '..'), { recursive: true });
  await writeFile(full, 'line\n');
  await utimes(full, modified / 1000, modified / 1000);
}

describe('transcript retention', () => {
  let dir: string;
  const now = Date.parse('2026-12-10T12:00:00.000Z');

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'transcript-retention-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const cases: readonly {
    name: string;
    retentionMs: number;
    files: readonly [path: string, age: number][];
    emptyFolders?: readonly string[];
    left: readonly string[];
    removed: { files: number; folders: number };
  }[] = [
    {
      name: 'removes files older than the retention, keeps newer ones',
      retentionMs: 7 * DAY,
      files: [
        ['2026-12-01/old.log', 9 * DAY],
        ['2026-12-09/recent.log', DAY],
        ['2026-12-01/still-written.log', HOUR],
      ],
      left: ['2026-12-01/still-written.log', '2026-12-09/recent.log'],
      removed: { files: 1, folders: 0 },
    },
    {
      name: 'removes a date folder it empties once its day is past the retention',
      retentionMs: 7 * DAY,
      files: [
        ['2026-11-20/a.log', 20 * DAY],
        ['2026-11-20/b.log', 20 * DAY],
      ],
      emptyFolders: ['2026-11-01'],
      left: [],
      removed: { files: 2, folders: 2 },
    },
    {
      name: 'short retention: today’s folder stays, only old files go',
      retentionMs: 60_000,
      files: [
        ['2026-12-10/old.log', 2 * HOUR],
        ['2026-12-10/new.log', 1000],
        ['2026-12-10/older.log', 3 * HOUR],
      ],
      emptyFolders: ['2026-12-09'],
      left: ['2026-12-10/new.log'],
      removed: { files: 2, folders: 1 },
    },
    {
      name: 'leaves what is not a transcript alone',
      retentionMs: DAY,
      files: [
        ['notes.txt', 30 * DAY],
        ['archive/old.log', 30 * DAY],
        ['2026-11-01/keep.txt', 30 * DAY],
        ['2026-11-01/old.log', 30 * DAY],
      ],
      left: ['2026-11-01/keep.txt', 'archive/old.log', 'notes.txt'],
      removed: { files: 1, folders: 0 },
    },
  ];

  for (const { name, retentionMs, files, emptyFolders = [], left, removed } of cases) {
    it(name, async () => {
      for (const [path, age] of files) await file(dir, path, now - age);
      for (const folder of emptyFolders) await mkdir(join(dir, folder));
      assert.deepEqual(await pruneTranscripts(dir, retentionMs, now), removed);
      assert.deepEqual(await tree(dir), [...left].sort());
    });
  }

  it('treats a missing directory as empty', async () => {
    assert.deepEqual(await pruneTranscripts(join(dir, 'missing'), DAY, now), {
      files: 0,
      folders: 0,
    });
  });

  it('prunes at start, on the real clock', async () => {
    const old = Date.now() - 8 * DAY;
    const today = new Date().toISOString().slice(0, 10);
    await file(dir, '2020-01-01/ancient.log', old);
    await file(dir, `${today}/expired.log`, old);
    await file(dir, `${today}/fresh.log`, Date.now());
    const retention = startTranscriptRetention({
      dir,
      retentionMs: 7 * DAY,
      logger: createLogger({ service: 'test', version: '0', level: 'silent' }),
    });
    try {
      await retention.firstPass;
    } finally {
      retention.stop();
    }
    assert.deepEqual(await tree(dir), [`${today}/fresh.log`]);
  });
});
