import type { SmartHostTlsMode } from '@smtp-relay/config';
import type { HoldReason } from './hold-reason.ts';

// What an operator sees of each route (docs/reference.md "Failover, routes and
// rate limits"): its hosts' health, its limits and how its mail went. The
// sender builds it from the shared Redis state; the admin API and dashboard of
// any process read it back (route-status-store.ts).

/** One smart host of a route, in the order the route tries them. */
export interface RouteHostStatus {
  readonly host: string;
  readonly port: number;
  readonly tls: SmartHostTlsMode;
  /** false while the host is cooling down (it is skipped). */
  readonly up: boolean;
  /** Cool-down left; 0 when up. */
  readonly coolingDownMs: number;
  /** Connection-level failures in a row (0 after a success). */
  readonly failures: number;
  /** The host's last reply (or why it failed), from any sender replica (host-activity.ts). */
  readonly lastReply: string | null;
  /** Epoch ms of lastReply. */
  readonly lastReplyAt: number | null;
  /** Epoch ms of the last message the host took. */
  readonly lastSuccessAt: number | null;
}

/** What a sender publishes of a host: the rest is read from host-activity.ts. */
export type PublishedRouteHostStatus = Omit<
  RouteHostStatus,
  'lastReply' | 'lastReplyAt' | 'lastSuccessAt'
>;

/** What happened to attempts through a route, counted since the counters began. */
export const ROUTE_OUTCOMES = ['delivered', 'deferred', 'bounced', 'throttled'] as const;
export type RouteOutcome = (typeof ROUTE_OUTCOMES)[number];
export type RouteOutcomeCounts = Readonly<Record<RouteOutcome, number>>;

export interface RouteStatus {
  /** The route's name; `default` for the SMART_HOST_* variables. */
  readonly name: string;
  /** The routes file's `match`; null for the default route (it takes what no route matches). */
  readonly match: {
    readonly senders: readonly string[];
    readonly users: readonly string[];
  } | null;
  readonly hosts: readonly RouteHostStatus[];
  /** SMART_HOST_RATE as written, e.g. `30/1m`; null = no limit. */
  readonly rate: string | null;
  /** SMART_HOST_RECIPIENT_RATE as written, e.g. `10000/1d`; null = no limit. */
  readonly recipientRate: string | null;
  /** Messages counted against `rate` in its current window. */
  readonly sentInWindow: number;
  /** Recipients counted against `recipientRate` in its current window. */
  readonly recipientsInWindow: number;
  /** Pause left after the smart host said it is throttling; 0 = not paused. */
  readonly pausedMs: number;
  /** Throttling pauses in a row (the backoff level); 0 after a success. */
  readonly pauses: number;
  /** Systemic hold left (credentials, TLS, keys); 0 = not held. */
  readonly heldMs: number;
  /** Connections allowed at once after a "too many connections" reply; null = no cap. */
  readonly connectionLimit: number | null;
  /** Attempts under way on the route, across the sender replicas. */
  readonly inFlight: number;
  /** How the route logs in to its smart hosts. */
  readonly auth: 'password' | 'oauth2' | 'none';
  /** The OAuth2 grant's state, for a route with OAuth2; null otherwise. */
  readonly oauth2: RouteOAuth2Status | null;
  /** The systemic failure that last held the route and what to fix (hold-reason.ts); null: none known. */
  readonly holdReason: HoldReason | null;
  readonly counts: RouteOutcomeCounts;
}

/** What the dashboard shows of a route's OAuth2 grant; never a token. */
export interface RouteOAuth2Status {
  /** SMART_HOST_OAUTH2_PROVIDER */
  readonly provider: string;
  /** Epoch ms the cached access token expires; null: none cached now (one is fetched at the next send). */
  readonly tokenExpiresAt: number | null;
  /** The token endpoint's last refusal, while it is remembered; null: none. */
  readonly failure: { readonly reason: string; readonly message: string } | null;
}

/** What the sender publishes: everything but the counts and the hosts' activity, which are kept apart. */
export type PublishedRouteStatus = Omit<RouteStatus, 'counts' | 'hosts' | 'holdReason'> & {
  readonly hosts: readonly PublishedRouteHostStatus[];
};
