import type { RouteStatus } from '@smtp-relay/smart-host/route-status';
import type { FastifyInstance } from 'fastify';

// docs/reference.md "Failover, routes and rate limits": each route's hosts,
// limits and outcome counts, as the senders last published them. Registered by
// admin-routes.ts inside its ADMIN_TOKEN scope, so the same authorisation applies.

/** The routes as last published; [] when no sender has published lately. */
export type RouteStatusReader = () => Promise<readonly RouteStatus[]>;

export function registerRouteStatusRoutes(scope: FastifyInstance, read: RouteStatusReader): void {
  scope.get('/api/v1/routes', async () => ({ routes: await read() }));
}
