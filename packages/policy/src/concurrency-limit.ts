/**
 * A counting semaphore: at most `max` tasks run at once, the others wait in
 * arrival order. `active`, `waiting` and `peak` are there to be observed
 * (tests, gauges); they never decide anything.
 */
export interface ConcurrencyLimit {
  run<T>(task: () => Promise<T>): Promise<T>;
  /** Tasks running now. */
  readonly active: number;
  /** Tasks waiting for a slot. */
  readonly waiting: number;
  /** The most tasks that ever ran at once. */
  readonly peak: number;
}

export function createConcurrencyLimit(max: number): ConcurrencyLimit {
  if (!Number.isInteger(max) || max < 1) throw new RangeError('max must be a positive integer');
  let active = 0;
  let peak = 0;
  const queue: (() => void)[] = [];

  const acquire = async (): Promise<void> => {
    if (active < max) {
      active++;
      peak = Math.max(peak, active);
      return;
    }
    // The finishing task hands its slot over: `active` stays as it is.
    await new Promise<void>((resolve) => queue.push(resolve));
  };
  const release = (): void => {
    const next = queue.shift();
    if (next === undefined) active--;
    else next();
  };

  return {
    async run(task) {
      await acquire();
      try {
        return await task();
      } finally {
        release();
      }
    },
    get active() {
      return active;
    },
    get waiting() {
      return queue.length;
    },
    get peak() {
      return peak;
    },
  };
}
