// Also the package subpath `@smtp-relay/smart-host/route-status`: the admin API of
// every process (ingress too) reads the status without loading the SMTP client.
export type {
  PublishedRouteHostStatus,
  PublishedRouteStatus,
  RouteOAuth2Status,
  RouteHostStatus,
  RouteOutcome,
  RouteOutcomeCounts,
  RouteStatus,
} from './route-status.ts';
export { countRouteOutcome, publishRouteStatus, readRouteStatus } from './route-status-store.ts';
export { readHoldReason, recordHoldReason, type HoldReason } from './hold-reason.ts';
export {
  createHostActivityLog,
  readHostActivity,
  type HostActivity,
  type HostActivityLog,
} from './host-activity.ts';
