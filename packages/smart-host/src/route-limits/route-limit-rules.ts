import type { SendingRate } from '@smtp-relay/config';
import type { RouteLimitTuning } from './route-limits.ts';

// The route limits' decisions as pure functions. The in-memory limits use
// them directly; the Redis scripts (redis-route-limits-scripts.ts) do the
// same in Lua, and route-limits.int.test.ts runs one contract against both.
// Why these rules: docs/adr/012-shared-rate-limiter.md.

/** The pause after the `pauses`-th throttling reply in a row: base, doubling, at most max. */
export function pauseMs(pauses: number, tuning: RouteLimitTuning): number {
  return Math.min(tuning.pauseBaseMs * 2 ** (Math.max(1, pauses) - 1), tuning.pauseMaxMs);
}

/**
 * A throttling reply to an attempt admitted before the latest pause began
 * reports the same episode (it was in flight when the pause began): it must
 * not double the backoff again. Only an attempt made after that pause
 * escalates; the same rule decides whether an `ok` resets the backoff.
 */
export function isAfterLatestPause(admittedAt: number, pausedAt: number | undefined): boolean {
  return pausedAt === undefined || admittedAt > pausedAt;
}

/**
 * The smart host refused a connection while `inFlight` attempts (the refused
 * one included) were open: it accepts about one fewer. Never above a lower
 * limit already set, never below one.
 */
export function loweredConnectionLimit(inFlight: number, current: number | undefined): number {
  const lowered = Math.max(1, inFlight - 1);
  return current === undefined ? lowered : Math.min(lowered, current);
}

/**
 * One step up after a run of successes; lifted altogether once it reaches the
 * highest in-flight count the smart host refused (`cappedAt`): from there a new
 * refusal lowers it again, so no replica count needs to be known.
 */
export function raisedConnectionLimit(limit: number, cappedAt: number): number | undefined {
  return limit + 1 >= cappedAt ? undefined : limit + 1;
}

/** Recipients a message stands for in the recipient window: one at least, never over the limit (or it could never go). */
export function recipientsNeeded(recipients: number, limit: SendingRate): number {
  return Math.min(Math.max(1, recipients), limit.count);
}

/** The gap between waiting jobs' turns: one slot of the window per `units` (messages or recipients). */
export function slotMs(limit: SendingRate, units: number): number {
  return (limit.perMs * units) / limit.count;
}

/**
 * A lease's member in the windows: `<recipients>:<job id>:<token>`. The
 * recipient count leads so the Lua scripts can read it back.
 */
export function leaseMember(jobId: string, recipients: number, token: string): string {
  return `${String(Math.max(1, Math.floor(recipients)))}:${jobId}:${token}`;
}

export function leaseWeight(member: string): number {
  const match = /^(\d+):/.exec(member);
  return match?.[1] === undefined ? 1 : Number(match[1]);
}

/** The tuning with defaults filled in. */
export function tuningWith(
  defaults: RouteLimitTuning,
  overrides: Partial<RouteLimitTuning> | undefined,
): RouteLimitTuning {
  return { ...defaults, ...overrides };
}
