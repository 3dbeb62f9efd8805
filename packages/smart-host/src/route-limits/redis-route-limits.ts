import { randomBytes } from 'node:crypto';
import type { SendingRate } from '@smtp-relay/config';
import type { Redis } from 'ioredis';
import { luaScript } from '@smtp-relay/store';
import { leaseMember, tuningWith } from './route-limit-rules.ts';
import { ADMIT, END, READ } from './redis-route-limits-scripts.ts';
import {
  ROUTE_LIMIT_TUNING,
  type RouteAdmission,
  type RouteLimits,
  type RouteLimitsOptions,
  type RouteWaitReason,
} from './route-limits.ts';

// One route's limits in Redis, shared by every sender replica
// (docs/adr/012-shared-rate-limiter.md). Key names are built here and nowhere else.

export interface RedisRouteLimitsOptions extends RouteLimitsOptions {
  /** A connection that answers at once (not a BullMQ worker's blocking one). */
  readonly redis: Redis;
  /** QUEUE_PREFIX */
  readonly prefix: string;
  /**
   * A route without rates that this replica saw quiet (not paused, no throttling
   * in a row, no connection limit) is taken to be so for this long
   * (docs/adr/014-redis-work-per-delivery.md): its attempts then cost a ZADD and
   * a ZREM instead of two scripts. 0: every admit runs the script.
   */
  readonly quietForMs?: number;
  /** Monotonic milliseconds for quietForMs; tests step it by hand. */
  readonly monotonicNow?: () => number;
}

/** `<prefix>:route-limits:<route>:<part>` */
export function routeLimitKeys(prefix: string, route: string) {
  const base = `${prefix}:route-limits:${route}`;
  return {
    state: `${base}:state`,
    pause: `${base}:pause`,
    messages: `${base}:messages`,
    recipients: `${base}:recipients`,
    leases: `${base}:leases`,
  } as const;
}

const IDLE_KEYS_LIVE_MS = 24 * 60 * 60_000;
/** How long another replica's pause or connection limit may take to reach this one. */
const QUIET_FOR_MS = 250;
const WAIT_REASONS: ReadonlySet<string> = new Set<RouteWaitReason>([
  'paused',
  'rate',
  'recipient-rate',
  'connections',
]);

export function createRedisRouteLimits(options: RedisRouteLimitsOptions): RouteLimits {
  const { redis, rate, recipientRate } = options;
  const tuning = tuningWith(ROUTE_LIMIT_TUNING, options.tuning);
  const keys = routeLimitKeys(options.prefix, options.route);
  const keyList = [keys.state, keys.pause, keys.messages, keys.recipients, keys.leases];
  // A day past the longest window, lease and pause: an idle route leaves nothing behind.
  const idleMs =
    Math.max(rate?.perMs ?? 0, recipientRate?.perMs ?? 0) +
    tuning.leaseMaxMs +
    tuning.pauseMaxMs +
    IDLE_KEYS_LIVE_MS;
  const common = [
    ...limitArguments(rate),
    ...limitArguments(recipientRate),
    tuning.raiseAfterMs,
    Math.ceil(idleMs),
  ];
  const admitScript = luaScript(redis, ADMIT);
  const endScript = luaScript(redis, END);
  const readScript = luaScript(redis, READ);

  // docs/adr/014: without rates an attempt that changes nothing about the route
  // needs no script. Taking a lease is then a ZADD (the in-flight count that a
  // refused connection lowers the limit from stays exact), an `ok` or `other`
  // end a ZREM. Whether the route is quiet (not paused, no throttling in a
  // row, no connection limit) is read at most every quietForMs, once for all
  // the attempts that ask at the same time. A pause or connection limit set by
  // another replica reaches this one that much later; an attempt admitted on
  // the replica's view counts as admitted when the view was read, so a
  // throttling reply to it is the episode another replica's pause began, not
  // a new one. What this replica changes itself it sees at once.
  const withoutRates = rate === undefined && recipientRate === undefined;
  const quietForMs = withoutRates ? (options.quietForMs ?? QUIET_FOR_MS) : 0;
  const monotonicNow = options.monotonicNow ?? (() => performance.now());
  /** The route as last read: quiet or not, at Redis's time and ours. */
  let seen: View | undefined;
  /** Moves whenever this replica changes the state: a view read before it is stale. */
  let changes = 0;
  let reading: { readonly view: Promise<View>; readonly changes: number } | undefined;

  /** undefined: every attempt asks Redis (a route with rates, or quietForMs 0). */
  async function view(): Promise<View | undefined> {
    if (quietForMs <= 0) return undefined;
    if (seen !== undefined && monotonicNow() - seen.localAt < quietForMs) return seen;
    if (reading?.changes !== changes) {
      const asked = { changes, localAt: monotonicNow() };
      const read = (async (): Promise<View> => {
        const reply = ((await readScript(keyList, common)) as unknown[]).map(Number);
        const [pausedMs, pauses, limit, , , , redisAt] = reply;
        const read: View = {
          quiet: pausedMs === 0 && pauses === 0 && limit !== undefined && limit < 0,
          redisAt: redisAt ?? 0,
          localAt: asked.localAt,
        };
        if (asked.changes === changes) seen = read;
        return read;
      })();
      reading = { view: read, changes };
      void read
        .finally(() => {
          if (reading?.view === read) reading = undefined;
        })
        .catch(() => undefined);
    }
    return reading.view;
  }
  /** This replica changes the state: not quiet until read again. */
  const changing = (): void => {
    seen = undefined;
    changes++;
  };

  const lease = (member: string, admittedAt: number): RouteAdmission => {
    let ended = false;
    return {
      kind: 'go',
      lease: {
        async end(outcome) {
          if (ended) return;
          ended = true;
          if (
            withoutRates &&
            (outcome === 'other' || (outcome === 'ok' && (await view())?.quiet))
          ) {
            await redis.zrem(keys.leases, member);
            return;
          }
          const changesRoute = outcome === 'throttled' || outcome === 'too-many-connections';
          if (changesRoute) changing();
          try {
            await endScript(keyList, [
              ...common,
              member,
              outcome,
              admittedAt,
              tuning.pauseBaseMs,
              tuning.pauseMaxMs,
              tuning.raiseAfterOks,
            ]);
          } finally {
            if (changesRoute) changing();
          }
        },
      },
    };
  };

  return {
    async admit(jobId, recipients) {
      const member = leaseMember(jobId, recipients, randomBytes(4).toString('hex'));
      const quiet = await view();
      if (quiet?.quiet === true) {
        // Expiring as the script's leases do, in Redis's time.
        const expiresAt =
          Math.ceil(quiet.redisAt + monotonicNow() - quiet.localAt) + tuning.leaseMaxMs;
        await execOrThrow(
          redis
            .pipeline()
            .zadd(keys.leases, expiresAt, member)
            .pexpire(keys.leases, Math.ceil(idleMs)),
        );
        return lease(member, quiet.redisAt);
      }
      const reply = (await admitScript(keyList, [
        ...common,
        member,
        Math.max(1, Math.floor(recipients)),
        tuning.leaseMaxMs,
        tuning.connectionWaitMs,
        tuning.connectionWaitStepMs,
      ])) as readonly unknown[];
      if (reply[0] === 'wait') {
        const reason = String(reply[2]);
        if (!isWaitReason(reason)) throw new Error(`route limits: unexpected reply ${reason}`);
        return { kind: 'wait', ms: Number(reply[1]), reason };
      }
      return lease(member, Number(reply[1]));
    },
    async read() {
      const [pausedMs, pauses, limit, inFlight, sent, recipientCount] = (
        (await readScript(keyList, common)) as unknown[]
      ).map(Number) as [number, number, number, number, number, number];
      return {
        pausedMs,
        pauses,
        connectionLimit: limit < 0 ? undefined : limit,
        inFlight,
        sentInWindow: sent,
        recipientsInWindow: recipientCount,
      };
    },
  };
}

/** A replica's view of a route without rates (see createRedisRouteLimits). */
interface View {
  readonly quiet: boolean;
  /** When it was read: Redis's time (TIME) and the replica's monotonic time just before. */
  readonly redisAt: number;
  readonly localAt: number;
}

const isWaitReason = (value: string): value is RouteWaitReason => WAIT_REASONS.has(value);

function limitArguments(limit: SendingRate | undefined): [number, number] {
  return limit === undefined ? [0, 0] : [limit.count, limit.perMs];
}

async function execOrThrow(pipeline: ReturnType<Redis['pipeline']>): Promise<void> {
  for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
}
