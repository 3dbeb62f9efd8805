/**
 * Waits for `work` at most `ms`; resolves 'done' or 'late' and never rejects.
 * For shutdown steps that talk to a peer that may be gone (Redis down): a stop
 * must still end in time.
 */
export async function settleWithin(work: Promise<unknown>, ms: number): Promise<'done' | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => {
      resolve('late');
    }, ms);
  });
  try {
    return await Promise.race([work.then(() => 'done' as const), late]);
  } catch {
    return 'done';
  } finally {
    clearTimeout(timer);
  }
}

/** Closes a Redis client politely when it is connected, at once otherwise. */
export async function closeRedis(
  redis: { status: string; quit(): Promise<unknown>; disconnect(): void },
  ms: number,
): Promise<void> {
  if (redis.status !== 'ready' || (await settleWithin(redis.quit(), ms)) === 'late')
    redis.disconnect();
}
