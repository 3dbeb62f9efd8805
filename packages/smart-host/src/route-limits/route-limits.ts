import type { SendingRate } from '@smtp-relay/config';

// A route's sending limits, shared by every sender replica (docs/adr/012-shared-rate-limiter.md):
// SMART_HOST_RATE and SMART_HOST_RECIPIENT_RATE as sliding windows, a pause
// with growing backoff after a throttling reply, and a connection limit
// lowered when the smart host refuses more connections at once. A job asks
// before each attempt; over a limit it waits without the attempt being made
// or counted, so waiting never uses up its lifetime.

/** Why a job must wait before its attempt. */
export type RouteWaitReason = 'paused' | 'rate' | 'recipient-rate' | 'connections';

/**
 * How an attempt ended, for the route: `throttled` pauses it, `too-many-connections`
 * lowers its connection limit (routeSignal() reads both off a classified failure),
 * `ok` resets the backoff and counts towards raising the limit again.
 */
export type RouteLeaseOutcome = 'ok' | 'throttled' | 'too-many-connections' | 'other';

/** An admitted attempt: counts in the route's windows and connections until it ends. */
export interface RouteLease {
  /** Only the first call counts. */
  end(outcome: RouteLeaseOutcome): Promise<void>;
}

export type RouteAdmission =
  | { readonly kind: 'go'; readonly lease: RouteLease }
  | { readonly kind: 'wait'; readonly ms: number; readonly reason: RouteWaitReason };

/** What the status page and metrics show of a route. */
export interface RouteLimitState {
  /** Time left of the pause after a throttling reply; 0 when not paused. */
  readonly pausedMs: number;
  /** Throttling replies in a row (the backoff level); an `ok` attempt resets it. */
  readonly pauses: number;
  /** Attempts at once across all replicas; undefined when not lowered. */
  readonly connectionLimit: number | undefined;
  readonly inFlight: number;
  /** Attempts counted in the SMART_HOST_RATE window (in flight included); 0 without that limit. */
  readonly sentInWindow: number;
  /** Recipients counted in the SMART_HOST_RECIPIENT_RATE window; 0 without that limit. */
  readonly recipientsInWindow: number;
}

export interface RouteLimits {
  /** Before an attempt: go (holding a lease) or wait `ms` without an attempt being counted. */
  admit(jobId: string, recipients: number): Promise<RouteAdmission>;
  read(): Promise<RouteLimitState>;
}

/** The times and counts behind the decisions (route-limit-rules.ts); tests shorten them. */
export interface RouteLimitTuning {
  /** The first pause after a throttling reply; it doubles per reply in a row. */
  readonly pauseBaseMs: number;
  readonly pauseMaxMs: number;
  /** A lease not ended by then is counted as ended then: its replica crashed or hung. */
  readonly leaseMaxMs: number;
  /** A lowered connection limit rises by one after this many `ok` ends in a row... */
  readonly raiseAfterOks: number;
  /** ...or after this long without another refused connection. */
  readonly raiseAfterMs: number;
  /** A job over the connection limit waits at least this long... */
  readonly connectionWaitMs: number;
  /** ...plus this much per job that already waits, so they come back one by one. */
  readonly connectionWaitStepMs: number;
}

export const ROUTE_LIMIT_TUNING: RouteLimitTuning = {
  pauseBaseMs: 30_000,
  pauseMaxMs: 15 * 60_000,
  leaseMaxMs: 10 * 60_000,
  raiseAfterOks: 20,
  raiseAfterMs: 60_000,
  connectionWaitMs: 1000,
  connectionWaitStepMs: 100,
};

export interface RouteLimitsOptions {
  /** The route's name (`default` for the SMART_HOST* variables). */
  readonly route: string;
  /** SMART_HOST_RATE (or the preset's); undefined = no limit. */
  readonly rate: SendingRate | undefined;
  /** SMART_HOST_RECIPIENT_RATE (or the preset's); undefined = no limit. */
  readonly recipientRate: SendingRate | undefined;
  readonly tuning?: Partial<RouteLimitTuning>;
}
