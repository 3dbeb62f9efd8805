import type { Redis } from 'ioredis';
import { MAX_COOLDOWN_MS, type HostHealth, type HostHealthStore } from './host-health-store.ts';

// The hosts' health in Redis, for every sender replica: per route and host a
// `cooldown` key living exactly as long as the cool-down (its PTTL is the time
// left, whatever the replicas' clocks say) and a `failures` count kept for
// failuresKeptMs() after it. Key names are built here and nowhere else.

/** `<prefix>:smart-host:<route>:<host:port>:<part>` */
export function hostHealthKeys(prefix: string, route: string, hostKey: string) {
  const base = `${prefix}:smart-host:${route}:${hostKey}`;
  return { cooldown: `${base}:cooldown`, failures: `${base}:failures` } as const;
}

// One failure per outage: while the host cools down, later failures (attempts
// begun before it) change nothing. Otherwise count it and cool down for
// base * 2^(failures-1), at most the maximum (cooldownAfter() and failuresKeptMs()
// in host-health-store.ts, the same formulas).
const RECORD_FAILURE = `
local left = redis.call('PTTL', KEYS[1])
if left > 0 then
  return {0, tonumber(redis.call('GET', KEYS[2]) or '0'), left}
end
local failures = redis.call('INCR', KEYS[2])
local cooldown = math.floor(math.min(tonumber(ARGV[1]) * 2 ^ (failures - 1), tonumber(ARGV[2])))
redis.call('SET', KEYS[1], failures, 'PX', cooldown)
redis.call('PEXPIRE', KEYS[2], cooldown + tonumber(ARGV[2]))
return {1, failures, cooldown}`;

export function createRedisHostHealthStore(redis: Redis, prefix: string): HostHealthStore {
  return {
    async read(route, hostKeys) {
      const pipeline = redis.pipeline();
      for (const key of hostKeys) {
        const keys = hostHealthKeys(prefix, route, key);
        pipeline.pttl(keys.cooldown).get(keys.failures);
      }
      const replies = (await pipeline.exec()) ?? [];
      const health = new Map<string, HostHealth>();
      hostKeys.forEach((key, index) => {
        const [ttlError, ttl] = replies[2 * index] ?? [];
        const [failuresError, failures] = replies[2 * index + 1] ?? [];
        if (ttlError) throw ttlError;
        if (failuresError) throw failuresError;
        health.set(key, {
          // PTTL: -2 without the key (no cool-down).
          coolingDownMs: Math.max(0, Number(ttl ?? 0)),
          failures: Number(failures ?? 0),
        });
      });
      return health;
    },
    async recordFailure(route, key, baseCooldownMs) {
      const keys = hostHealthKeys(prefix, route, key);
      const reply = (await redis.eval(
        RECORD_FAILURE,
        2,
        keys.cooldown,
        keys.failures,
        Math.max(1, Math.floor(baseCooldownMs)),
        MAX_COOLDOWN_MS,
      )) as [number, number, number];
      return { started: reply[0] === 1, failures: reply[1], cooldownMs: reply[2] };
    },
    async recordSuccess(route, key) {
      const keys = hostHealthKeys(prefix, route, key);
      return (await redis.del(keys.cooldown, keys.failures)) > 0;
    },
  };
}
