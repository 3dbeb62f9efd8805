export {
  ROUTE_LIMIT_TUNING,
  type RouteAdmission,
  type RouteLease,
  type RouteLeaseOutcome,
  type RouteLimits,
  type RouteLimitsOptions,
  type RouteLimitState,
  type RouteLimitTuning,
  type RouteWaitReason,
} from './route-limits.ts';
export { createMemoryRouteLimits, type MemoryRouteLimitsOptions } from './memory-route-limits.ts';
export {
  createRedisRouteLimits,
  routeLimitKeys,
  type RedisRouteLimitsOptions,
} from './redis-route-limits.ts';
export { routeSignal } from './route-signal.ts';
