import { expectRedisEnd } from './watch-redis.ts';

/**
 * The time a wait runs on: the system's, or in a unit test one moved by hand
 * (so no test sleeps to see a time-out fire).
 */
export interface TimeoutClock {
  /** Epoch ms. */
  now(): number;
  /** Calls `fire` once after `ms`; the function returned cancels it. */
  after(ms: number, fire: () => void): () => void;
}

export const systemTimeoutClock: TimeoutClock = {
  now: () => Date.now(),
  after(ms, fire) {
    const timer = setTimeout(fire, ms);
    return () => {
      clearTimeout(timer);
    };
  },
};

/**
 * Waits for `work` at most `ms`; past that, resolves with `onTimeout()` (or
 * rejects if it throws). The one "race against a timer" of the project: the
 * timer is always cancelled, so nothing keeps the process alive.
 */
export async function withTimeout<T, F>(
  work: Promise<T>,
  ms: number,
  onTimeout: () => F,
  clock: TimeoutClock = systemTimeoutClock,
): Promise<T | F> {
  let cancel = (): void => undefined;
  const late = new Promise<F>((resolve, reject) => {
    cancel = clock.after(Math.max(0, ms), () => {
      try {
        resolve(onTimeout());
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    cancel();
  }
}

/**
 * Waits for `work` at most `ms`; resolves 'done' or 'late' and never rejects.
 * For shutdown steps that talk to a peer that may be gone (Redis down): a stop
 * must still end in time.
 */
export function settleWithin(
  work: Promise<unknown>,
  ms: number,
  clock: TimeoutClock = systemTimeoutClock,
): Promise<'done' | 'late'> {
  return withTimeout(
    work.then(
      () => 'done' as const,
      () => 'done' as const,
    ),
    ms,
    () => 'late' as const,
    clock,
  );
}

/** Closes a Redis client politely when it is connected, at once otherwise. */
export async function closeRedis(
  redis: { status: string; quit(): Promise<unknown>; disconnect(): void },
  ms: number,
  clock: TimeoutClock = systemTimeoutClock,
): Promise<void> {
  expectRedisEnd(redis);
  if (redis.status !== 'ready' || (await settleWithin(redis.quit(), ms, clock)) === 'late')
    redis.disconnect();
}
