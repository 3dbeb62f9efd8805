/**
 * How long to hold the whole queue after a systemic failure (our smart-host
 * settings are wrong). The hold grows along RETRY_DELAYS while the failures
 * go on, capped so that a fix is picked up soon; it grows once per hold, not
 * once per failed job: the deliveries already in flight when the first one
 * failed all fail the same way and must not push the next probe hours away.
 */
export interface SystemicHold {
  /** The hold to set now, or undefined when one is already running. */
  onFailure(now: number): number | undefined;
  /** A delivery reached the smart host properly: the next failure starts over. */
  onSuccess(): void;
}

export const MAX_SYSTEMIC_HOLD_MS = 15 * 60_000;

export function createSystemicHold(
  retryDelaysMs: readonly number[],
  capMs = MAX_SYSTEMIC_HOLD_MS,
): SystemicHold {
  let failures = 0;
  let holdUntil = 0;
  return {
    onFailure(now) {
      if (now < holdUntil) return undefined;
      failures++;
      const planned = retryDelaysMs[Math.min(failures, retryDelaysMs.length) - 1] ?? 60_000;
      const holdMs = Math.min(planned, capMs);
      holdUntil = now + holdMs;
      return holdMs;
    },
    onSuccess() {
      failures = 0;
      holdUntil = 0;
    },
  };
}
