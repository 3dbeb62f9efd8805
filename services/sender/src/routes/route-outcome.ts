import { routeSignal, type RouteLeaseOutcome } from '@smtp-relay/smart-host';
import type { DeliveryDecision } from '../outcome.ts';

// How an attempt counts for its route: the per-route metric and dashboard
// counts, and what the route's limits learn about our pace.

/** smtp_relay_route_attempts_total{outcome}; `limited`: waited without an attempt. */
export type RouteOutcome = 'delivered' | 'deferred' | 'bounced' | 'held' | 'throttled' | 'limited';

/** undefined: nothing to count (a job that cannot be processed at all). */
export function routeOutcome(decision: DeliveryDecision): RouteOutcome | undefined {
  switch (decision.action) {
    case 'finish':
      return decision.delivered.length > 0 ? 'delivered' : 'bounced';
    case 'retry':
      return decision.delivered.length > 0 ? 'delivered' : 'deferred';
    case 'throttle':
      return 'throttled';
    case 'hold':
      return 'held';
    case 'dead-letter':
      return undefined;
  }
}

/** What the smart host said about our pace; `other` when it said nothing about it. */
export function leaseOutcome(decision: DeliveryDecision | undefined): RouteLeaseOutcome {
  if (decision === undefined) return 'other';
  switch (decision.action) {
    case 'throttle':
      return decision.failure.category === 'connection-limit'
        ? 'too-many-connections'
        : 'throttled';
    case 'finish':
      return 'ok';
    case 'retry': {
      // Some recipients throttled (others delivered or refused): still a
      // throttling reply, the route pauses.
      const signal = decision.remaining
        .map((recipient) => routeSignal(recipient.failure))
        .find((found) => found !== undefined);
      if (signal !== undefined) return signal;
      // A network failure or a timeout says nothing about our pace: it must not
      // reset the throttling backoff or count towards a higher connection limit.
      return decision.delivered.length > 0 ? 'ok' : 'other';
    }
    case 'hold':
    case 'dead-letter':
      return 'other';
  }
}
