import type { Redis } from 'ioredis';
import { hostKey } from '../failover/host-health-store.ts';
import { readHoldReason, type HoldReason } from './hold-reason.ts';
import { readHostActivity, type HostActivity } from './host-activity.ts';
import { routeCountsKey, routeStatusKey } from './route-status-keys.ts';
import {
  ROUTE_OUTCOMES,
  type PublishedRouteStatus,
  type RouteOutcome,
  type RouteOutcomeCounts,
  type RouteStatus,
} from './route-status.ts';

// The route status in Redis, so that the admin API of any process (ingress
// too, which has no smart host) shows what the senders see. A sender publishes
// the whole list every few seconds; with no sender left the list expires and
// the API shows none rather than a stale picture.

/** How long a published list stays readable without being published again. */
export const ROUTE_STATUS_TTL_MS = 30_000;

/** Bumped when the published shape changes: a reader skips a list it does not know. */
const FORMAT_VERSION = 1;

/** Replaces the published list (every route of this sender's configuration). */
export async function publishRouteStatus(
  redis: Redis,
  prefix: string,
  routes: readonly PublishedRouteStatus[],
): Promise<void> {
  const payload = JSON.stringify({ v: FORMAT_VERSION, routes });
  await redis.set(routeStatusKey(prefix), payload, 'PX', ROUTE_STATUS_TTL_MS);
}

/**
 * Counts one outcome of an attempt through `route`. Never rejects: the counts
 * are for the dashboard, and a Redis that cannot take them shows in /readyz and
 * in the delivery itself, so the caller need not wait for it (`void` the call).
 */
export async function countRouteOutcome(
  redis: Redis,
  prefix: string,
  route: string,
  outcome: RouteOutcome,
): Promise<void> {
  try {
    await redis.hincrby(routeCountsKey(prefix, route), outcome, 1);
  } catch {
    // see above: a lost count is not worth a failed delivery or a log line per message
  }
}

/**
 * The published list with each route's counts; [] when no sender has published
 * one within ROUTE_STATUS_TTL_MS. Times left (cool-down, pause, hold) are
 * shortened by the list's age, measured by Redis alone (its TTL), so the
 * clocks of the sender and the reader never need to agree.
 */
export async function readRouteStatus(redis: Redis, prefix: string): Promise<RouteStatus[]> {
  const key = routeStatusKey(prefix);
  // One transaction: the TTL is the one of the list read, not of a newer one.
  const replies = (await redis.multi().get(key).pttl(key).exec()) ?? [];
  const [[, text] = [], [, ttlMs] = []] = replies;
  const published = typeof text === 'string' ? parsePublished(text) : [];
  if (published.length === 0) return [];
  const ageMs =
    typeof ttlMs === 'number' && ttlMs >= 0 ? Math.max(0, ROUTE_STATUS_TTL_MS - ttlMs) : 0;
  const [counts, activity, reasons] = await Promise.all([
    Promise.all(published.map((route) => redis.hgetall(routeCountsKey(prefix, route.name)))),
    Promise.all(
      published.map((route) =>
        readHostActivity(redis, prefix, route.name, route.hosts.map(hostKey)),
      ),
    ),
    Promise.all(published.map((route) => readHoldReason(redis, prefix, route.name))),
  ]);
  return published.map((route, index) =>
    aged(
      route,
      ageMs,
      countsOf(counts[index] ?? {}),
      activity[index] ?? [],
      reasons[index] ?? null,
    ),
  );
}

const NO_ACTIVITY: HostActivity = { lastReply: null, lastReplyAt: null, lastSuccessAt: null };

function aged(
  route: PublishedRouteStatus,
  ageMs: number,
  counts: RouteOutcomeCounts,
  activity: readonly HostActivity[],
  holdReason: HoldReason | null,
): RouteStatus {
  const left = (ms: number): number => Math.max(0, ms - ageMs);
  return {
    ...route,
    hosts: route.hosts.map((host, index) => {
      const coolingDownMs = left(host.coolingDownMs);
      return {
        ...host,
        coolingDownMs,
        up: coolingDownMs === 0,
        ...(activity[index] ?? NO_ACTIVITY),
      };
    }),
    holdReason,
    pausedMs: left(route.pausedMs),
    heldMs: left(route.heldMs),
    counts,
  };
}

function countsOf(hash: Record<string, string>): RouteOutcomeCounts {
  return Object.fromEntries(
    ROUTE_OUTCOMES.map((outcome) => [outcome, Number(hash[outcome] ?? 0)]),
  ) as Record<RouteOutcome, number>;
}

/** The routes of a published list; none when it is not one this version wrote. */
function parsePublished(text: string): PublishedRouteStatus[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return [];
  }
  if (typeof value !== 'object' || value === null) return [];
  const { v, routes } = value as { v?: unknown; routes?: unknown };
  if (v !== FORMAT_VERSION || !Array.isArray(routes)) return [];
  return routes.filter(
    (route: unknown): route is PublishedRouteStatus =>
      typeof route === 'object' &&
      route !== null &&
      typeof (route as { name?: unknown }).name === 'string' &&
      Array.isArray((route as { hosts?: unknown }).hosts),
  );
}
