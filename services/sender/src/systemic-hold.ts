/**
 * What a systemic failure (our smart-host settings are wrong) does to every
 * sender replica, as pure decisions on a snapshot of the state they share
 * (docs/adr/003). A failure holds all deliveries; when the hold ends, one
 * delivery, the probe, tries the smart host for everyone while the others
 * wait for its outcome: it gets through, the hold is over; it fails the same
 * way, a longer hold. So a wrong password costs one login per hold, not one
 * per free worker slot of every replica (providers lock accounts after bursts
 * of failed logins).
 *
 * delivery-hold.ts makes a decision's change only if the state is still the
 * one it was decided on. The times are what Redis has left of each key, so
 * the replicas' clocks never have to agree.
 */

export const MAX_SYSTEMIC_HOLD_MS = 15 * 60_000;

/** Waiting deliveries look this often whether the probe has ended. */
const PROBE_POLL_MS = 1000;

/** How late a hold begun by another replica may reach this one (docs/adr/014). */
const CLEAR_FOR_MS = 250;

export interface HoldState {
  /** Holds in a row since a probe last got through; 0: not held. */
  readonly holds: number;
  /** What is left of the current hold; 0 once it ended (or was lifted). */
  readonly holdingMs: number;
  /** The delivery that is the probe, and what is left of its claim. */
  readonly probe: { readonly jobId: string; readonly claimMs: number } | undefined;
  /** How long BullMQ's queue-wide rate limit still keeps every worker from taking jobs. */
  readonly pausedMs: number;
}

export const NOT_HELD: HoldState = { holds: 0, holdingMs: 0, probe: undefined, pausedMs: 0 };

export type HoldChange =
  /** Hold every replica for `ms`, the `holds`-th hold in a row; any probe is over. */
  | { readonly kind: 'hold'; readonly holds: number; readonly ms: number }
  /** `jobId` is the probe, for `ms` at the most: a crashed one must not block forever. */
  | { readonly kind: 'claim-probe'; readonly jobId: string; readonly ms: number }
  /** Keep the workers from taking jobs for `ms` while the probe is out. */
  | { readonly kind: 'pause'; readonly ms: number }
  /** The probe ended without an answer: the next delivery probes. */
  | { readonly kind: 'release-probe' }
  /** The probe got through: not held any more, every replica resumes. */
  | { readonly kind: 'clear' };

/** What a delivery does when it starts. */
export type Turn =
  | { readonly kind: 'deliver' }
  | { readonly kind: 'probe' }
  /** Back to waiting, no attempt counted, for about `ms`. */
  | { readonly kind: 'wait'; readonly ms: number };

/** How an attempt ended, as far as the hold is concerned. */
export type AttemptEnd =
  /** It reached the smart host without a systemic failure (delivered, deferred or refused). */
  | 'through'
  | 'systemic'
  /** No answer either way: stopped, no body, an error of ours. */
  | 'inconclusive';

export interface HoldTiming {
  readonly retryDelaysMs: readonly number[];
  /** A bit longer than one delivery attempt can last. */
  readonly probeClaimMs: number;
  readonly probePollMs: number;
  /**
   * A replica that read "not held" trusts it this long before reading again
   * (docs/adr/014-redis-work-per-delivery.md); its own changes it sees at once.
   */
  readonly clearForMs: number;
}

/** A decision and the change to the shared state it needs, if any. */
export interface Planned<T> {
  readonly result: T;
  readonly change?: HoldChange;
}

/**
 * An attempt's steps each give up after SMTP_CLIENT_TIMEOUT (an OAuth2 token
 * request, the connection, a reply that does not come): a probe still running
 * after three of them and a margin has crashed with its sender.
 */
export function holdTiming(retryDelaysMs: readonly number[], clientTimeoutMs: number): HoldTiming {
  return {
    retryDelaysMs,
    probeClaimMs: 3 * clientTimeoutMs + 10_000,
    probePollMs: PROBE_POLL_MS,
    clearForMs: CLEAR_FOR_MS,
  };
}

/**
 * The `holds`-th hold in a row follows RETRY_DELAYS, capped so that a fixed
 * setting is picked up within minutes.
 */
export function holdFor(
  holds: number,
  retryDelaysMs: readonly number[],
  capMs = MAX_SYSTEMIC_HOLD_MS,
): number {
  const planned = retryDelaysMs[Math.min(Math.max(holds, 1), retryDelaysMs.length) - 1] ?? 60_000;
  return Math.min(planned, capMs);
}

/** Nothing held and nothing paused: every delivery simply goes (planStart). */
export function isClear(state: HoldState): boolean {
  return state.holds === 0 && state.pausedMs <= 0;
}

/** Whether a delivery taken off the queue may try the smart host now. */
export function planStart(state: HoldState, jobId: string, timing: HoldTiming): Planned<Turn> {
  // BullMQ would not hand this job out now: a hold (or a wait for the probe)
  // began after it was taken. Waiting costs no attempt; another login might.
  if (state.pausedMs > 0) return { result: { kind: 'wait', ms: state.pausedMs } };
  if (isClear(state)) return { result: { kind: 'deliver' } };
  // The first delivery after the hold (or after `queue resume` lifted it) is the
  // probe; the same job again is its own retry after a crash of its sender.
  if (state.probe === undefined || state.probe.jobId === jobId) {
    return {
      result: { kind: 'probe' },
      change: { kind: 'claim-probe', jobId, ms: timing.probeClaimMs },
    };
  }
  // The probe is out: every worker waits a moment, then looks again.
  const ms = Math.max(1, Math.min(state.probe.claimMs, timing.probePollMs));
  return { result: { kind: 'wait', ms }, change: { kind: 'pause', ms } };
}

/** What an attempt's end does to the hold: the hold it starts (ms), if any. */
export function planEnd(
  state: HoldState,
  jobId: string,
  end: AttemptEnd,
  timing: HoldTiming,
): Planned<number | undefined> {
  const isProbe = state.probe?.jobId === jobId;
  const releaseProbe: Planned<undefined> = isProbe
    ? { result: undefined, change: { kind: 'release-probe' } }
    : { result: undefined };
  switch (end) {
    case 'through':
      // Only the probe ends a hold: a delivery on a connection logged in
      // before the settings went wrong says nothing about the next login.
      return isProbe ? { result: undefined, change: { kind: 'clear' } } : { result: undefined };
    case 'inconclusive':
      return releaseProbe;
    case 'systemic': {
      // In flight when the hold began: they all fail together, and must not
      // push the next probe further away.
      if (state.holdingMs > 0) return releaseProbe;
      // Another delivery is the probe: its outcome decides.
      if (state.probe !== undefined && !isProbe) return { result: undefined };
      const holds = state.holds + 1;
      const ms = holdFor(holds, timing.retryDelaysMs);
      return { result: ms, change: { kind: 'hold', holds, ms } };
    }
  }
}
