import type { Redis } from 'ioredis';
import { dueTimeFromDelayedScore } from './delayed-score.ts';
import type { DeliveryQueue } from './delivery-queue.ts';
import { holdKeys, routeHoldPattern, routeOfHoldKey } from './hold-keys.ts';

// `npx smtp-relay queue resume`: ends every systemic hold at once (docs/adr/003),
// so that the next delivery is the probe. Only the wait ends: the count of
// holds in a row stays, so a probe that fails the same way starts the next,
// longer hold (services/sender systemic-hold.ts planStart/planEnd).
// - Without routes the hold is BullMQ's queue-wide rate limit key (and
//   `<prefix>:hold:until`): both deleted, the workers take jobs again.
// - A route's hold is its `until` and `paused` keys (hold-keys.ts), and its
//   messages wait as delayed jobs until the hold's end: the keys deleted, the
//   jobs that wait for the hold are promoted. Jobs waiting for a retry
//   (RETRY_DELAYS) or another route keep their time.

/** Keys scanned, and delayed jobs read, per round trip. */
const BATCH = 200;

/**
 * BullMQ pauses the workers while the rate limit key counts the worker
 * limiter's max or more (services/sender redis-hold-store.ts WORKER_LIMITER):
 * a count below it is only BullMQ counting jobs, not a hold.
 */
const QUEUE_PAUSE_AT_LEAST = 1_000_000;

export interface ResumeDeliveriesOptions {
  readonly queue: DeliveryQueue;
  /** A connection that answers at once. */
  readonly redis: Redis;
  /** QUEUE_PREFIX */
  readonly prefix: string;
  /** Keys and jobs per round trip; BATCH unless a test wants several rounds. */
  readonly batch?: number;
}

export interface ResumedDeliveries {
  /** The hold of the whole queue (no routes file) was lifted. */
  readonly queueHold: boolean;
  /** The routes whose hold ended, sorted. */
  readonly routes: readonly string[];
  /** Their messages that waited for the hold, back in the queue now. */
  readonly promoted: number;
}

export async function resumeDeliveries(
  options: ResumeDeliveriesOptions,
): Promise<ResumedDeliveries> {
  const batch = options.batch ?? BATCH;
  const queueHold = await liftQueueHold(options);
  const routes = await heldRoutes(options.redis, options.prefix, batch);
  // The keys first: a job promoted while its route still pauses would only be
  // sent back to wait.
  for (let start = 0; start < routes.length; start += batch) {
    const multi = options.redis.multi();
    for (const route of routes.slice(start, start + batch)) {
      const keys = holdKeys(options.prefix, route);
      multi.del(keys.until, keys.paused);
    }
    await execOrThrow(multi);
  }
  const promoted =
    routes.length === 0 ? 0 : await promoteHeld(options.queue, options.redis, routes, batch);
  return { queueHold, routes, promoted };
}

async function liftQueueHold(options: ResumeDeliveriesOptions): Promise<boolean> {
  const limiter = options.queue.toKey('limiter');
  const until = holdKeys(options.prefix, undefined).until;
  const [count, countMs, untilMs] = (await execOrThrow(
    options.redis.multi().get(limiter).pttl(limiter).pttl(until).del(limiter, until),
  )) as [string | null, number, number, number];
  return (Number(count ?? 0) >= QUEUE_PAUSE_AT_LEAST && countMs > 0) || untilMs > 0;
}

/** Routes with a hold running or a pause (waiting for the probe), sorted. */
async function heldRoutes(redis: Redis, prefix: string, batch: number): Promise<string[]> {
  const routes = new Set<string>();
  for (const part of ['until', 'paused'] as const) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(
        cursor,
        'MATCH',
        routeHoldPattern(prefix, part),
        'COUNT',
        batch,
      );
      for (const key of keys) {
        const route = routeOfHoldKey(prefix, key, part);
        if (route !== undefined) routes.add(route);
      }
      cursor = next;
    } while (cursor !== '0');
  }
  return [...routes].sort();
}

/**
 * Promotes the delayed jobs of `routes` that wait for the hold: the sender sent
 * them back as `waiting: {reason: 'held', until}` and they are due exactly then
 * (wait-without-attempt.ts). ZSCAN returns every job delayed all along, even
 * while others leave the set; one seen twice is promoted once.
 */
async function promoteHeld(
  queue: DeliveryQueue,
  redis: Redis,
  routes: readonly string[],
  batch: number,
): Promise<number> {
  const held = new Set(routes);
  const delayedKey = queue.toKey('delayed');
  const promoted = new Set<string>();
  let cursor = '0';
  do {
    const [next, flat] = await redis.zscan(delayedKey, cursor, 'COUNT', batch);
    const dueById = new Map<string, number>();
    for (let index = 0; index + 1 < flat.length; index += 2) {
      const id = flat[index] as string;
      if (!promoted.has(id)) dueById.set(id, dueTimeFromDelayedScore(Number(flat[index + 1])));
    }
    const jobs = await Promise.all([...dueById.keys()].map((id) => queue.getJob(id)));
    await Promise.all(
      jobs.map(async (job) => {
        const id = job?.id;
        if (job === undefined || id === undefined) return;
        const data = job.data as Partial<typeof job.data> | undefined;
        const waiting = data?.waiting;
        if (data?.route === undefined || !held.has(data.route)) return;
        if (waiting?.reason !== 'held' || waiting.until !== dueById.get(id)) return;
        // Due by now, or deleted, since the scan: nothing left to promote.
        const done = await job.promote().then(
          () => true,
          () => false,
        );
        if (done) promoted.add(id);
      }),
    );
    cursor = next;
  } while (cursor !== '0');
  return promoted.size;
}

type Multi = ReturnType<Redis['multi']>;

async function execOrThrow(multi: Multi): Promise<unknown[]> {
  const replies = (await multi.exec()) ?? [];
  return replies.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}
