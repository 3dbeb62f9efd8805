import type { DeliveryFailure } from '@smtp-relay/smtp-errors';

/**
 * What a failed attempt tells its route (docs/adr/012-shared-rate-limiter.md):
 * a throttling reply pauses the route, a refused connection lowers its
 * connection limit; anything else is the message's own outcome. The lease
 * ends with `routeSignal(failure) ?? 'other'`, or `ok` when delivered.
 */
export function routeSignal(
  failure: DeliveryFailure,
): 'throttled' | 'too-many-connections' | undefined {
  if (failure.category === 'throttled') return 'throttled';
  if (failure.category === 'connection-limit') return 'too-many-connections';
  return undefined;
}
