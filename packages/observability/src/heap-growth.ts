import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the old generation grow past what survived the last full GC
 * before the next one: 1.3x instead of V8's default of up to 4x. Under load a
 * service's live heap is ~40 MB but, at 4x, grew to ~150 MB of garbage before
 * it was collected (sender, 4 KiB messages at 50 connections): the largest
 * part of its RSS. At 1.3x the heap stays near its live size for a few more
 * (incremental, concurrent) mark-compacts (docs/adr/015-memory-footprint.md).
 */
const HEAP_GROWING_PERCENT = 30;

/**
 * Applies HEAP_GROWING_PERCENT to this process, unless its command line sets
 * --heap-growing-percent itself. V8 reads the flag at each full GC, so it
 * takes effect when set at start-up, whatever started the process (npm start,
 * the image, Kubernetes): a V8 flag that NODE_OPTIONS would refuse.
 */
export function limitHeapGrowth(percent: number = HEAP_GROWING_PERCENT): void {
  if (process.execArgv.some((arg) => arg.startsWith('--heap-growing-percent'))) return;
  setFlagsFromString(`--heap-growing-percent=${String(percent)}`);
}
