import { DEFAULT_ROUTE_NAME } from '@smtp-relay/config';
import {
  createMemoryRouteLimits,
  type RouteLimits,
  type SmartHostClient,
} from '@smtp-relay/smart-host';
import type { DeliveryHold } from '../../src/delivery-hold.ts';
import { deliveryRoutes, type DeliveryRoutes } from '../../src/routes/delivery-route.ts';

export interface SingleRouteParts {
  readonly client: SmartHostClient;
  readonly hold: DeliveryHold;
  readonly rewriteFrom?: string;
  /** Default: no rate limits, in memory. */
  readonly limits?: RouteLimits;
}

/** The one route of a set-up without SMART_HOST_ROUTES_FILE: its hold holds the queue. */
export function singleRoute(parts: SingleRouteParts): DeliveryRoutes {
  return deliveryRoutes(
    [
      {
        name: DEFAULT_ROUTE_NAME,
        client: parts.client,
        rewriteFrom: parts.rewriteFrom,
        hold: parts.hold,
        holdsQueue: true,
        limits:
          parts.limits ??
          createMemoryRouteLimits({
            route: DEFAULT_ROUTE_NAME,
            rate: undefined,
            recipientRate: undefined,
          }),
      },
    ],
    [],
  );
}
