import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { nextAttemptAt, type DeliveryQueue } from '@smtp-relay/queue';
import { countRouteOutcome, publishRouteStatus } from '@smtp-relay/smart-host/route-status';
import { createThroughputRecorder } from '@smtp-relay/store';
import { uniquePrefix, type TestRedisConnection } from '@smtp-relay/testkit';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { queueLater, salesRoute, startAdminApp, type AdminApp } from './admin-fixture.ts';

// The admin HTTP app every process serves, on a real Redis: the routes the
// senders published and the route of each message.

const TOKEN = 'relay-admin-http-token-42';
const AUTHORIZED = { authorization: `Bearer ${TOKEN}` };

const SALES = salesRoute();

describe('admin HTTP: routes and the route of a message (real Redis)', () => {
  let admin: AdminApp;
  let redis: TestRedisConnection<Redis>;
  let queue: DeliveryQueue;
  let app: FastifyInstance;
  const prefix = uniquePrefix('admin-http');

  before(async () => {
    admin = await startAdminApp(prefix, TOKEN);
    ({ redis, queue, app } = admin);
  });

  after(async () => {
    await admin.close();
  });

  const queued = (route: string | undefined): Promise<string> => queueLater(queue, route);

  it('GET /api/v1/routes needs the token', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/routes' });
    assert.equal(response.statusCode, 401);
  });

  it('GET /api/v1/routes: no routes before a sender publishes them', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/api/v1/routes',
      headers: AUTHORIZED,
    });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { routes: [] });
  });

  it('GET /api/v1/routes: what the senders published, with the counts', async () => {
    // No sender noted a reply of these hosts, nor held the route.
    const NO_ACTIVITY = { lastReply: null, lastReplyAt: null, lastSuccessAt: null };
    await publishRouteStatus(redis.connection, prefix, [SALES]);
    await countRouteOutcome(redis.connection, prefix, 'sales', 'delivered');
    await countRouteOutcome(redis.connection, prefix, 'sales', 'throttled');
    const response = await app.inject({
      method: 'GET',
      url: '/api/v1/routes',
      headers: AUTHORIZED,
    });
    assert.equal(response.statusCode, 200);
    const { routes } = response.json<{ routes: { hosts: { coolingDownMs: number }[] }[] }>();
    const coolingDownMs = routes[0]?.hosts[0]?.coolingDownMs ?? 0;
    // The list's age (Redis TTL) is taken off the cool-down; an instant here, but not zero-proof.
    assert.ok(coolingDownMs > 500_000 && coolingDownMs <= 600_000, String(coolingDownMs));
    assert.deepEqual(routes, [
      {
        ...SALES,
        hosts: [
          { ...SALES.hosts[0], coolingDownMs, ...NO_ACTIVITY },
          { ...SALES.hosts[1], ...NO_ACTIVITY },
        ],
        holdReason: null,
        counts: { delivered: 1, deferred: 0, bounced: 0, throttled: 1 },
      },
    ]);
  });

  it('GET /api/v1/throughput: every process’s counts per minute, 400 for another range', async () => {
    const recorder = createThroughputRecorder({
      redis: redis.connection,
      prefix,
      flushEveryMs: 0,
    });
    recorder.count('received', 3);
    recorder.count('delivered', 2);
    await recorder.close();
    const get = (range: string) =>
      app.inject({ method: 'GET', url: `/api/v1/throughput?range=${range}`, headers: AUTHORIZED });
    const hour = (await get('hour')).json<{
      range: string;
      bucketMs: number;
      buckets: { start: string; received: number; delivered: number; bounced: number }[];
    }>();
    assert.equal(hour.range, 'hour');
    assert.equal(hour.bucketMs, 60_000);
    assert.equal(hour.buckets.length, 60);
    // Summed: the counts may fall in the minute before the read's.
    const sum = (kind: 'received' | 'delivered' | 'bounced') =>
      hour.buckets.reduce((total, bucket) => total + bucket[kind], 0);
    assert.deepEqual([sum('received'), sum('delivered'), sum('bounced')], [3, 2, 0]);
    const last = hour.buckets.at(-1);
    assert.ok(Date.now() - Date.parse(last?.start ?? '') < 60_000, 'the current minute last');
    assert.equal((await get('day')).json<{ buckets: unknown[] }>().buckets.length, 1440);
    const week = await get('week');
    assert.equal(week.statusCode, 400);
    assert.deepEqual(week.json(), { error: 'range must be one of hour, day' });
  });

  it('a message shows its route; null before the sender chose one', async () => {
    const routed = await queued('sales');
    const unrouted = await queued(undefined);
    const one = async (id: string): Promise<unknown> =>
      (
        await app.inject({ method: 'GET', url: `/api/v1/messages/${id}`, headers: AUTHORIZED })
      ).json<{ route: unknown }>().route;
    assert.equal(await one(routed), 'sales');
    assert.equal(await one(unrouted), null);
    const list = await app.inject({
      method: 'GET',
      url: '/api/v1/messages?state=delayed',
      headers: AUTHORIZED,
    });
    const routes = new Map(
      list
        .json<{ messages: { id: string; route: unknown }[] }>()
        .messages.map((message) => [message.id, message.route]),
    );
    assert.deepEqual([routes.get(routed), routes.get(unrouted)], ['sales', null]);
  });

  it('a message sent back untried for its route shows as throttled, with why; a retry does not', async () => {
    const waiting = await queued('sales');
    const retrying = await queued('sales');
    // What the sender writes when it sends a job back without an attempt: the
    // reason and the very moment the job is due again.
    for (const [id, until] of [
      [waiting, await nextAttemptAt(queue, waiting)],
      // A later retry: due at another moment than the wait it once had.
      [retrying, ((await nextAttemptAt(queue, retrying)) ?? 0) - 60_000],
    ] as const) {
      const job = await queue.getJob(id);
      assert.ok(job && until !== undefined);
      await job.updateData({ ...job.data, waiting: { reason: 'rate', until } });
    }
    const throttled = async (id: string): Promise<unknown> =>
      (
        await app.inject({ method: 'GET', url: `/api/v1/messages/${id}`, headers: AUTHORIZED })
      ).json<{ throttled: unknown }>().throttled;
    assert.equal(await throttled(waiting), 'rate');
    assert.equal(await throttled(retrying), null);
  });
});
