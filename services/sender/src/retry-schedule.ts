/**
 * The wait before the next attempt after `failedAttempts` failures: the
 * RETRY_DELAYS entry for this attempt, the last entry repeating. Never past
 * the expiry deadline, so the final attempt happens right at MAX_QUEUE_LIFETIME
 * and the message is then bounced without waiting a further interval.
 */
export function nextRetryDelay(options: {
  readonly schedule: readonly number[];
  readonly failedAttempts: number;
  readonly now: number;
  readonly expiresAt: number;
}): number {
  const { schedule } = options;
  const index = Math.min(Math.max(options.failedAttempts - 1, 0), schedule.length - 1);
  const planned = schedule[index] ?? schedule[schedule.length - 1] ?? 60_000;
  return Math.max(0, Math.min(planned, options.expiresAt - options.now));
}
