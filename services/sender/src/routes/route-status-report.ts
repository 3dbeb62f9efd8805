import { formatSendingRate } from '@smtp-relay/config';
import { hostKey, type HostHealthStore } from '@smtp-relay/smart-host';
import type { PublishedRouteStatus } from '@smtp-relay/smart-host/route-status';
import type { BuiltRoute } from './build-routes.ts';

// What the admin API, the dashboard and the metrics show of each route
// (docs/reference.md "Failover, routes and rate limits"): read from the state
// the replicas share, so any replica reports the same.

export async function reportRoutes(
  routes: readonly BuiltRoute[],
  health: HostHealthStore,
): Promise<PublishedRouteStatus[]> {
  return Promise.all(
    routes.map(async (route): Promise<PublishedRouteStatus> => {
      const keys = route.smartHost.hosts.map(hostKey);
      const [hosts, limits, hold] = await Promise.all([
        health.read(route.name, keys),
        route.limits.read(),
        route.holdStore.read(),
      ]);
      const { rate, recipientRate } = route.smartHost;
      return {
        name: route.name,
        match: route.match,
        hosts: route.smartHost.hosts.map((endpoint, i) => {
          const state = hosts.get(keys[i] ?? '');
          const coolingDownMs = state?.coolingDownMs ?? 0;
          return {
            host: endpoint.host,
            port: endpoint.port,
            tls: endpoint.tls,
            up: coolingDownMs === 0,
            coolingDownMs,
            failures: state?.failures ?? 0,
          };
        }),
        rate: rate === undefined ? null : formatSendingRate(rate),
        recipientRate: recipientRate === undefined ? null : formatSendingRate(recipientRate),
        sentInWindow: limits.sentInWindow,
        recipientsInWindow: limits.recipientsInWindow,
        pausedMs: limits.pausedMs,
        pauses: limits.pauses,
        heldMs: Math.max(hold.holdingMs, 0),
        connectionLimit: limits.connectionLimit ?? null,
        inFlight: limits.inFlight,
      };
    }),
  );
}
