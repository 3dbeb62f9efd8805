import { setTimeout as sleep } from 'node:timers/promises';

/** Time for the delivery steps: tests pass one they move by hand instead of waiting. */
export interface Clock {
  /** Epoch ms. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: async (ms) => {
    await sleep(ms);
  },
};
