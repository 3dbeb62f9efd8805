// Also the package subpath `@smtp-relay/smart-host/route-status`: the admin API of
// every process (ingress too) reads the status without loading the SMTP client.
export type {
  PublishedRouteStatus,
  RouteHostStatus,
  RouteOutcome,
  RouteOutcomeCounts,
  RouteStatus,
} from './route-status.ts';
export { countRouteOutcome, publishRouteStatus, readRouteStatus } from './route-status-store.ts';
