import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const moduleUrl = new URL('../src/heap-growth.ts', import.meta.url).href;

// A process with a live heap of ~35-40 MB that keeps promoting short-lived
// objects to the old generation (a small young generation, objects kept for a
// few rounds), as a busy service does: its peak heap, and its live heap after a
// full GC.
const churn = `
  const { limitHeapGrowth } = await import(${JSON.stringify(moduleUrl)});
  if (process.argv.includes('limited')) limitHeapGrowth();
  const live = [];
  for (let i = 0; i < 400_000; i++) live.push({ i, s: 'x' + i });
  const kept = [];
  let peak = 0;
  for (let round = 0; round < 3000; round++) {
    kept.push(Array.from({ length: 2000 }, (_, j) => ({ j, round })));
    if (kept.length > 30) kept.shift();
    if (round % 10 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
  }
  globalThis.gc();
  console.log(JSON.stringify({ peak, live: process.memoryUsage().heapUsed, n: live.length + kept.length }));
`;

async function peakAndLive(
  nodeArgs: readonly string[],
  mode: string,
): Promise<{ peak: number; live: number }> {
  const { stdout } = await run(process.execPath, [
    '--max-semi-space-size=1',
    '--expose-gc',
    ...nodeArgs,
    '--input-type=module',
    '-e',
    churn,
    mode,
  ]);
  return JSON.parse(stdout) as { peak: number; live: number };
}

describe('limitHeapGrowth', () => {
  it('keeps the heap near its live size; it would grow to several times that', async () => {
    const [limited, wide] = await Promise.all([
      peakAndLive([], 'limited'),
      // V8's widest step, and a command line that sets the flag itself: left alone.
      peakAndLive(['--heap-growing-percent=300'], 'limited'),
    ]);
    // Measured: ~55 MB at the peak for ~35 MB live; ~165 MB for ~40 MB at 300%.
    assert.ok(limited.peak < 2 * limited.live, JSON.stringify(limited));
    assert.ok(wide.peak > 2 * wide.live, JSON.stringify(wide));
  });
});
