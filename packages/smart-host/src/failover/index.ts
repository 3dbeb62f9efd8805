export { createRouteClient, type RouteClientOptions } from './route-client.ts';
export {
  createMemoryHostHealthStore,
  hostKey,
  MAX_COOLDOWN_MS,
  type CooldownChange,
  type HostHealth,
  type HostHealthStore,
} from './host-health-store.ts';
export { createRedisHostHealthStore } from './redis-host-health-store.ts';
