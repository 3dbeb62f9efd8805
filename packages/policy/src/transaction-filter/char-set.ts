// A `[...]` set of Mercury's pattern language as sorted, merged code point ranges,
// so that membership costs O(log k) however long the set is written.

export interface CharSet {
  readonly negated: boolean;
  /** Inclusive range starts, ascending; `ends[i]` belongs to `starts[i]`. */
  readonly starts: Int32Array;
  readonly ends: Int32Array;
}

export function createCharSet(
  ranges: readonly (readonly [first: number, last: number])[],
  negated: boolean,
): CharSet {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const starts: number[] = [];
  const ends: number[] = [];
  for (const [first, last] of sorted) {
    const previous = ends.length - 1;
    const previousEnd = ends[previous];
    if (previousEnd !== undefined && first <= previousEnd + 1) {
      ends[previous] = Math.max(previousEnd, last);
    } else {
      starts.push(first);
      ends.push(last);
    }
  }
  return { negated, starts: Int32Array.from(starts), ends: Int32Array.from(ends) };
}

/** Whether the set's ranges (ignoring negation) hold `codePoint`. */
export function inRanges(set: CharSet, codePoint: number): boolean {
  let low = 0;
  let high = set.starts.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    if (codePoint < (set.starts[middle] ?? 0)) high = middle - 1;
    else if (codePoint > (set.ends[middle] ?? 0)) low = middle + 1;
    else return true;
  }
  return false;
}
