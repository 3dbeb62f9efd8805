/**
 * At most one log line per key (an event and a client address) per interval.
 * A client reconnecting in a loop to a refusal would otherwise write a line per
 * attempt; with this, it gets its first line at once, then at most one per
 * interval that says how many went unlogged since. The count is carried by the
 * next line, not flushed on a timer: a client that stops has nothing left worth
 * saying, and the metrics count every refusal anyway.
 */
export interface LogLimiter {
  /**
   * undefined: skip the line. Otherwise write it: the number is how many lines
   * for this key were skipped since the last one written (0 for the first).
   */
  admit(key: string): number | undefined;
}

export interface LogLimiterOptions {
  /** Default 60 000 ms. */
  readonly intervalMs?: number;
  /** Keys remembered at once (default 10 000): many addresses must not grow it without bound. */
  readonly maxKeys?: number;
  /** Clock, epoch ms (tests). */
  readonly now?: () => number;
}

interface Entry {
  /** When the last line for the key was written. */
  readonly loggedAt: number;
  skipped: number;
}

export function createLogLimiter(options: LogLimiterOptions = {}): LogLimiter {
  const intervalMs = options.intervalMs ?? 60_000;
  const maxKeys = Math.max(1, options.maxKeys ?? 10_000);
  const now = options.now ?? Date.now;
  // In order of loggedAt (a key is set again each time it logs): the keys whose
  // interval is over are at the front, so pruning stops at the first that is not.
  const entries = new Map<string, Entry>();

  /**
   * A key whose interval is over is forgotten unless it holds a count not yet
   * reported (its next line carries it); when still full, the oldest key goes.
   * Runs only when a line is written, which this limits, so a pass is cheap enough.
   */
  function forget(at: number): void {
    for (const [key, entry] of entries) {
      if (at - entry.loggedAt < intervalMs) break;
      if (entry.skipped === 0) entries.delete(key);
    }
    if (entries.size < maxKeys) return;
    const oldest = entries.keys().next();
    if (oldest.done !== true) entries.delete(oldest.value);
  }

  return {
    admit(key) {
      const at = now();
      const entry = entries.get(key);
      if (entry !== undefined && at - entry.loggedAt < intervalMs) {
        entry.skipped++;
        return undefined;
      }
      entries.delete(key);
      forget(at);
      entries.set(key, { loggedAt: at, skipped: 0 });
      return entry?.skipped ?? 0;
    },
  };
}

/** The part of a pino logger this module uses. */
interface InfoLogger {
  info(obj: object, msg?: string): void;
}

/**
 * Writes `fields` at info through the limiter, keyed by event and client address;
 * `unloggedSinceLastLine` says how many lines for that key were skipped before it.
 */
export function logLimited(
  limiter: LogLimiter,
  log: InfoLogger,
  address: string,
  fields: { readonly event: string } & Record<string, unknown>,
  msg: string,
): void {
  const skipped = limiter.admit(`${fields.event} ${address}`);
  if (skipped === undefined) return;
  log.info(skipped > 0 ? { ...fields, unloggedSinceLastLine: skipped } : fields, msg);
}
