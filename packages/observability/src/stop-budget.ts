import { systemTimeoutClock, type TimeoutClock } from './settle-within.ts';

// The stop budget. docs/reference.md "Processes and commands" promises that a
// process exits within 30 s of SIGTERM: STOP_BUDGET_MS, the one number every
// deadline of a stop comes from. The budget starts when the stop begins; each
// step's deadline is taken from it when the step starts, as what is left minus
// the shares of the steps after it, so time a step does not use goes to the
// next one and no step can eat what a later one needs.
//
//    30 s  STOP_BUDGET_MS  SIGTERM to exit
//   - 2 s  STOP_MARGIN_MS  flushing the logs and exiting, after the last step
//   = 28 s  STOP_STEPS_MS  for the steps of createShutdown, in order:
//
//   1. closing the service                  28 - 1 (admin HTTP) = 27 s
//      ingress   draining sessions in DATA   27 - 7 = 20 s
//                then INGRESS_AFTER_DRAIN_MS = 7 s:
//                  smtp-server close (cuts what is left)  1 s  SMTP_CLOSE_MS
//                  transcripts, queue, Redis          3 x 2 s  CLOSE_STEP_MS
//      sender    deliveries in flight (worker)  27 - 6 = 21 s
//                then SENDER_AFTER_WORKER_MS = 6 s:
//                  transcripts, queue, Redis          3 x 2 s  CLOSE_STEP_MS
//                  (both Redis connections at once)
//      all-in-one  both closes at the same time on the same 27 s: one
//                budget, so the split above, not twice the time
//   2. admin HTTP close                                   1 s  ADMIN_HTTP_CLOSE_MS
//
// A close step takes at most its share, less when an earlier step ran over
// (the last one ends with the budget). A step still running at its deadline
// is abandoned (the stop then exits 1) and the next one starts: a hung Redis
// or smart host cannot hold the process past 30 s.

export const STOP_BUDGET_MS = 30_000;
export const STOP_MARGIN_MS = 2000;
export const STOP_STEPS_MS = STOP_BUDGET_MS - STOP_MARGIN_MS;
/** Closing one thing that may hang on a peer that is gone (Redis, a full disk). */
export const CLOSE_STEP_MS = 2000;
/** smtp-server's close(): sessions still open after the drain are cut. */
export const SMTP_CLOSE_MS = 1000;
/** The admin HTTP server's close, the last step of every process. */
export const ADMIN_HTTP_CLOSE_MS = 1000;
/** What ingress needs after its drain: SMTP close, transcripts, queue, Redis. */
export const INGRESS_AFTER_DRAIN_MS = SMTP_CLOSE_MS + 3 * CLOSE_STEP_MS;
/** What the sender needs after its worker: transcripts, queue, Redis. */
export const SENDER_AFTER_WORKER_MS = 3 * CLOSE_STEP_MS;

/** The time a stop has left; every getter answers for the moment it is called. */
export interface StopBudget {
  /** The clock the budget runs on, for the waits inside a step. */
  readonly clock: TimeoutClock;
  /** Ms left until the budget ends (never negative). */
  remainingMs(): number;
  /** Ms a step may take now: what is left once `reserveMs` is kept for later steps. */
  until(reserveMs: number): number;
  /** Ms a step with a share of `shareMs` may take now: its share, or what is left. */
  atMost(shareMs: number): number;
  /** The same budget ending `reserveMs` earlier: what a step hands to its own steps. */
  reserving(reserveMs: number): StopBudget;
}

/** A budget of `totalMs` from now. */
export function startStopBudget(
  totalMs: number = STOP_STEPS_MS,
  clock: TimeoutClock = systemTimeoutClock,
): StopBudget {
  return budgetEndingAt(clock.now() + totalMs, clock);
}

function budgetEndingAt(endsAt: number, clock: TimeoutClock): StopBudget {
  const until = (reserveMs: number): number => Math.max(0, endsAt - reserveMs - clock.now());
  return {
    clock,
    remainingMs: () => until(0),
    until,
    atMost: (shareMs) => Math.min(shareMs, until(0)),
    reserving: (reserveMs) => budgetEndingAt(endsAt - reserveMs, clock),
  };
}
