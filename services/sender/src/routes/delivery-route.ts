import { DEFAULT_ROUTE_NAME } from '@smtp-relay/config';
import type { DeliveryJob } from '@smtp-relay/queue';
import type { RouteLimits, SmartHostClient } from '@smtp-relay/smart-host';
import type { DeliveryHold } from '../delivery-hold.ts';
import { resolveRoute, type RouteMatcher } from './resolve-route.ts';

// A route as a delivery uses it (docs/reference.md "Failover, routes and rate
// limits"): its smart hosts behind one client (failover, credentials, DKIM),
// its From rewriting, its systemic hold and its limits shared with the other
// sender replicas. process-delivery.ts knows nothing of how they are built
// (build-routes.ts).

export interface DeliveryRoute {
  readonly name: string;
  readonly client: SmartHostClient;
  /** The route's REWRITE_FROM; undefined: senders relayed as they are. */
  readonly rewriteFrom: string | undefined;
  readonly hold: DeliveryHold;
  /**
   * true: the one route there is; a hold keeps every worker from taking jobs
   * (docs/adr/003). false: the route's jobs wait as delayed jobs, the other
   * routes go on.
   */
  readonly holdsQueue: boolean;
  readonly limits: RouteLimits;
}

interface RoutedJob {
  readonly route: DeliveryRoute;
  /** The job names no route, or one that is gone: write this one on it. */
  readonly record: boolean;
}

export interface DeliveryRoutes {
  readonly all: readonly DeliveryRoute[];
  routeOf(job: DeliveryJob): RoutedJob;
}

/**
 * `routes` holds the default route. Without a routes file nothing is written
 * on jobs: every job takes the default route.
 */
export function deliveryRoutes(
  routes: readonly DeliveryRoute[],
  matchers: readonly RouteMatcher[],
): DeliveryRoutes {
  const byName = new Map(routes.map((route) => [route.name, route]));
  const fallback = byName.get(DEFAULT_ROUTE_NAME);
  if (fallback === undefined) throw new Error('the default route is missing');
  return {
    all: routes,
    routeOf(job) {
      // No routes file (any more): a route a job still names is gone, and it
      // is shown as `default` from here on.
      if (matchers.length === 0) {
        return { route: fallback, record: job.route !== undefined && job.route !== fallback.name };
      }
      const recorded = job.route === undefined ? undefined : byName.get(job.route);
      if (recorded !== undefined) return { route: recorded, record: false };
      const name = resolveRoute(matchers, job);
      return { route: byName.get(name) ?? fallback, record: true };
    },
  };
}
