import { createHash, randomBytes } from 'node:crypto';
import type { SendingRate } from '@smtp-relay/config';
import type { Redis } from 'ioredis';
import { leaseMember, tuningWith } from './route-limit-rules.ts';
import { ADMIT, END, READ } from './redis-route-limits-scripts.ts';
import {
  ROUTE_LIMIT_TUNING,
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

  return {
    async admit(jobId, recipients) {
      const member = leaseMember(jobId, recipients, randomBytes(4).toString('hex'));
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
      const admittedAt = Number(reply[1]);
      let ended = false;
      return {
        kind: 'go',
        lease: {
          async end(outcome) {
            if (ended) return;
            ended = true;
            await endScript(keyList, [
              ...common,
              member,
              outcome,
              admittedAt,
              tuning.pauseBaseMs,
              tuning.pauseMaxMs,
              tuning.raiseAfterOks,
            ]);
          },
        },
      };
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

const isWaitReason = (value: string): value is RouteWaitReason => WAIT_REASONS.has(value);

function limitArguments(limit: SendingRate | undefined): [number, number] {
  return limit === undefined ? [0, 0] : [limit.count, limit.perMs];
}

/** EVALSHA, loading the script on NOSCRIPT (first use, or after a Redis restart). */
function luaScript(redis: Redis, source: string) {
  const sha = createHash('sha1').update(source).digest('hex');
  return async (keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> => {
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(source, keys.length, ...keys, ...args);
    }
  };
}
