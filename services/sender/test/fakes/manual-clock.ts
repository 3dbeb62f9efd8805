import type { Clock } from '../../src/clock.ts';

export interface ManualClock extends Clock {
  advance(ms: number): void;
  /** Every sleep asked for, in order. */
  readonly slept: readonly number[];
}

/** A clock that moves only when told to; sleep() moves it and returns at once. */
export function createManualClock(start: number): ManualClock {
  let now = start;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    advance(ms) {
      now += ms;
    },
    sleep(ms) {
      slept.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
}
