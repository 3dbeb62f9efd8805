import { holdKeys } from '@smtp-relay/queue';
import type { Redis } from 'ioredis';
import type { HoldStore } from './delivery-hold.ts';
import type { HoldChange, HoldState } from './systemic-hold.ts';

// Where the sender replicas share a systemic hold (systemic-hold.ts), under
// QUEUE_PREFIX, in the keys of @smtp-relay/queue hold-keys.ts:
//   <prefix>:hold:holds  holds in a row; no expiry, only a probe that gets through ends it
//   <prefix>:hold:until  present while a hold runs (expires with it)
//   <prefix>:hold:probe  the probe's job id (expires with its claim)
// and a pause key that says how long deliveries must wait. Without
// SMART_HOST_ROUTES_FILE that is BullMQ's queue-wide rate limit key
// (`limiterKey`), which keeps every worker from taking jobs: written as
// queue.rateLimit() does. With routes a hold is the route's own
// (`<prefix>:hold:route:<name>:*`, pause key `...:paused`): the other routes
// go on, and the held route's jobs wait as delayed jobs (process-delivery.ts).
// `npx smtp-relay queue resume` (@smtp-relay/queue resume-deliveries.ts) ends
// either.

/**
 * The worker's limiter: far above any real rate, there so that BullMQ obeys
 * the rate limit key at all. BullMQ pauses while the key counts `max` or more.
 */
export const WORKER_LIMITER = { max: 1_000_000, duration: 1000 } as const;

// What queue.rateLimit() writes into the key.
const PAUSED = String(Number.MAX_SAFE_INTEGER);

// KEYS: holds, until, probe, limiter. ARGV: the expected state (holds, holding,
// probe, paused: as compared below), the limiter's max, then the change
// (kind, its value, its ms) and what a pause writes. Returns 1 when changed.
const CHANGE_IF_UNCHANGED = `
local limit = tonumber(redis.call('GET', KEYS[4]) or '0') or 0
local paused = (limit >= tonumber(ARGV[5]) and redis.call('PTTL', KEYS[4]) > 0) and '1' or '0'
local holding = redis.call('PTTL', KEYS[2]) > 0 and '1' or '0'
if (redis.call('GET', KEYS[1]) or '0') ~= ARGV[1] or holding ~= ARGV[2]
  or (redis.call('GET', KEYS[3]) or '') ~= ARGV[3] or paused ~= ARGV[4] then
  return 0
end
local kind, value, ms = ARGV[6], ARGV[7], ARGV[8]
if kind == 'hold' then
  redis.call('SET', KEYS[1], value)
  redis.call('SET', KEYS[2], '1', 'PX', ms)
  redis.call('DEL', KEYS[3])
  redis.call('SET', KEYS[4], ARGV[9], 'PX', ms)
elseif kind == 'claim-probe' then
  redis.call('SET', KEYS[3], value, 'PX', ms)
  redis.call('DEL', KEYS[2])
elseif kind == 'pause' then
  redis.call('SET', KEYS[4], ARGV[9], 'PX', ms)
elseif kind == 'release-probe' then
  redis.call('DEL', KEYS[3])
elseif kind == 'clear' then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
end
return 1`;

export interface RedisHoldStoreOptions {
  /** A connection that answers at once (not the worker's). */
  readonly redis: Redis;
  /** QUEUE_PREFIX */
  readonly prefix: string;
  /**
   * The route's own hold; undefined: the one route there is, holding the whole
   * queue through `limiterKey`.
   */
  readonly route?: string | undefined;
  /** BullMQ's rate limit key of the delivery queue (queue.keys.limiter). */
  readonly limiterKey: string;
}

export function createRedisHoldStore(options: RedisHoldStoreOptions): HoldStore {
  const keys = holdKeys(options.prefix, options.route);
  const { redis } = options;
  const pauseKey = options.route === undefined ? options.limiterKey : keys.paused;
  return {
    async read() {
      const replies = await redis
        .multi()
        .get(keys.holds)
        .pttl(keys.until)
        .get(keys.probe)
        .pttl(keys.probe)
        .get(pauseKey)
        .pttl(pauseKey)
        .exec();
      const values = (replies ?? []).map(([error, value]) => {
        if (error) throw error;
        return value;
      });
      const [holds, untilMs, probe, probeMs, limit, limitMs] = values as [
        string | null,
        number,
        string | null,
        number,
        string | null,
        number,
      ];
      return {
        holds: Number(holds ?? 0),
        holdingMs: Math.max(untilMs, 0),
        probe: probe === null ? undefined : { jobId: probe, claimMs: Math.max(probeMs, 0) },
        pausedMs: Number(limit ?? 0) >= WORKER_LIMITER.max ? Math.max(limitMs, 0) : 0,
      };
    },
    async change(expected, change) {
      const changed = await redis.eval(
        CHANGE_IF_UNCHANGED,
        4,
        keys.holds,
        keys.until,
        keys.probe,
        pauseKey,
        ...expectedArguments(expected),
        String(WORKER_LIMITER.max),
        ...changeArguments(change),
        PAUSED,
      );
      return changed === 1;
    },
  };
}

function expectedArguments(state: HoldState): string[] {
  return [
    String(state.holds),
    state.holdingMs > 0 ? '1' : '0',
    state.probe?.jobId ?? '',
    state.pausedMs > 0 ? '1' : '0',
  ];
}

function changeArguments(change: HoldChange): [string, string, string] {
  const ms = (value: number): string => String(Math.max(1, Math.ceil(value)));
  switch (change.kind) {
    case 'hold':
      return [change.kind, String(change.holds), ms(change.ms)];
    case 'claim-probe':
      return [change.kind, change.jobId, ms(change.ms)];
    case 'pause':
      return [change.kind, '', ms(change.ms)];
    case 'release-probe':
    case 'clear':
      return [change.kind, '', '1'];
  }
}
