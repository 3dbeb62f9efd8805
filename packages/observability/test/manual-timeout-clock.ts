import type { TimeoutClock } from '../src/settle-within.ts';

export interface ManualTimeoutClock extends TimeoutClock {
  /** Timers set and not yet fired or cancelled. */
  pending(): number;
  /**
   * Moves time from timer to timer until `work` settles, letting promise
   * callbacks run in between; resolves with its value. Fails instead of
   * hanging when `work` waits for something no timer will ever bring.
   */
  runUntilSettled<T>(work: Promise<T>): Promise<T>;
}

interface Timer {
  readonly at: number;
  readonly fire: () => void;
}

/** Only the pending promise callbacks run; no time passes on any clock. */
function letPromisesRun(): Promise<void> {
  return new Promise((resolve) => {
    setImmediate(resolve);
  });
}

/** A clock that moves only when the test lets it, firing its timers in order. */
export function createManualTimeoutClock(start = 0): ManualTimeoutClock {
  let now = start;
  const timers = new Set<Timer>();
  const next = (): Timer | undefined =>
    [...timers].reduce<Timer | undefined>(
      (soonest, t) => (soonest && soonest.at <= t.at ? soonest : t),
      undefined,
    );
  return {
    now: () => now,
    after(ms, fire) {
      const timer = { at: now + ms, fire };
      timers.add(timer);
      return () => {
        timers.delete(timer);
      };
    },
    pending: () => timers.size,
    async runUntilSettled(work) {
      const state = { settled: false };
      const watched = work.finally(() => {
        state.settled = true;
      });
      // Handled here so a rejection waits for the caller instead of crashing the run.
      watched.catch(() => undefined);
      for (;;) {
        await letPromisesRun();
        if (state.settled) return watched;
        const timer = next();
        if (timer === undefined)
          throw new Error(`still waiting at ${String(now)} with no timer set`);
        timers.delete(timer);
        now = Math.max(now, timer.at);
        timer.fire();
      }
    },
  };
}
