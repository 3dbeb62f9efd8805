/**
 * Waits for `work` at most `ms`; past that, resolves with `onTimeout()` (or
 * rejects if it throws). The one "race against a timer" of the project: the
 * timer is always cleared, so nothing keeps the process alive.
 */
export async function withTimeout<T, F>(
  work: Promise<T>,
  ms: number,
  onTimeout: () => F,
): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<F>((resolve, reject) => {
    timer = setTimeout(() => {
      try {
        resolve(onTimeout());
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    }, ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Waits for `work` at most `ms`; resolves 'done' or 'late' and never rejects.
 * For shutdown steps that talk to a peer that may be gone (Redis down): a stop
 * must still end in time.
 */
export function settleWithin(work: Promise<unknown>, ms: number): Promise<'done' | 'late'> {
  return withTimeout(
    work.then(
      () => 'done' as const,
      () => 'done' as const,
    ),
    ms,
    () => 'late' as const,
  );
}

/** Closes a Redis client politely when it is connected, at once otherwise. */
export async function closeRedis(
  redis: { status: string; quit(): Promise<unknown>; disconnect(): void },
  ms: number,
): Promise<void> {
  if (redis.status !== 'ready' || (await settleWithin(redis.quit(), ms)) === 'late')
    redis.disconnect();
}
