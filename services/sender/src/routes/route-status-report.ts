import { formatSendingRate } from '@smtp-relay/config';
import type { SmartHostConfig } from '@smtp-relay/config';
import {
  createRedisTokenStore,
  hostKey,
  oauth2CredentialId,
  type HostHealthStore,
} from '@smtp-relay/smart-host';
import type { PublishedRouteStatus, RouteOAuth2Status } from '@smtp-relay/smart-host/route-status';
import type { Redis } from 'ioredis';
import type { BuiltRoute } from './build-routes.ts';

// What the admin API, the dashboard and the metrics show of each route
// (docs/reference.md "Failover, routes and rate limits"): read from the state
// the replicas share, so any replica reports the same.

export async function reportRoutes(
  routes: readonly BuiltRoute[],
  health: HostHealthStore,
  /** Where the OAuth2 grants keep their tokens (shared-token-provider.ts). */
  tokens: { readonly redis: Redis; readonly prefix: string },
): Promise<PublishedRouteStatus[]> {
  return Promise.all(
    routes.map(async (route): Promise<PublishedRouteStatus> => {
      const keys = route.smartHost.hosts.map(hostKey);
      const [hosts, limits, hold, oauth2] = await Promise.all([
        health.read(route.name, keys),
        route.limits.read(),
        route.holdStore.read(),
        oauth2Status(route.smartHost, tokens),
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
        auth: authOf(route.smartHost),
        oauth2,
      };
    }),
  );
}

function authOf(smartHost: SmartHostConfig): PublishedRouteStatus['auth'] {
  if (smartHost.oauth2 !== undefined) return 'oauth2';
  return smartHost.user === undefined ? 'none' : 'password';
}

/** The grant's cached token's expiry and last refusal; the token itself is not read out. */
async function oauth2Status(
  smartHost: SmartHostConfig,
  tokens: { readonly redis: Redis; readonly prefix: string },
): Promise<RouteOAuth2Status | null> {
  const { oauth2, user } = smartHost;
  if (oauth2 === undefined || user === undefined) return null;
  const store = createRedisTokenStore(
    tokens.redis,
    tokens.prefix,
    oauth2CredentialId(oauth2, user),
  );
  try {
    const [access, failure] = await Promise.all([store.readAccess(), store.readFailure()]);
    return {
      provider: oauth2.provider,
      tokenExpiresAt: access?.expiresAt ?? null,
      failure: failure ?? null,
    };
  } catch {
    // A value that cannot be read must not keep the rest of the route status from the dashboard.
    return { provider: oauth2.provider, tokenExpiresAt: null, failure: null };
  }
}
