import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger, createMetrics, RELAY_VERSION } from '@smtp-relay/observability';
import {
  createDeliveryQueue,
  DELIVERY_JOB_NAME,
  newDeliveryJob,
  newMessageId,
  nextAttemptAt,
  type DeliveryQueue,
} from '@smtp-relay/queue';
import {
  countRouteOutcome,
  publishRouteStatus,
  type PublishedRouteStatus,
} from '@smtp-relay/smart-host/route-status';
import { createRedisMessageStore } from '@smtp-relay/store';
import { connectTestRedis, uniquePrefix, type TestRedisConnection } from '@smtp-relay/testkit';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { createRelayAdminHttp } from '../src/relay-admin-http.ts';

// The admin HTTP app every process serves, on a real Redis: the routes the
// senders published and the route of each message.

const TOKEN = 'relay-admin-http-token-42';
const AUTHORIZED = { authorization: `Bearer ${TOKEN}` };

const SALES: PublishedRouteStatus = {
  name: 'sales',
  match: { senders: ['*@sales.example.com'], users: [] },
  hosts: [
    {
      host: 'primary.example',
      port: 587,
      tls: 'starttls',
      up: false,
      coolingDownMs: 600_000,
      failures: 2,
    },
    { host: 'backup.example', port: 465, tls: 'implicit', up: true, coolingDownMs: 0, failures: 0 },
  ],
  rate: '30/1m',
  recipientRate: '10000/1d',
  sentInWindow: 7,
  recipientsInWindow: 9,
  pausedMs: 0,
  pauses: 0,
  heldMs: 0,
  connectionLimit: 2,
  inFlight: 1,
};

describe('admin HTTP: routes and the route of a message (real Redis)', () => {
  let redis: TestRedisConnection<Redis>;
  let queue: DeliveryQueue;
  let app: FastifyInstance;
  const prefix = uniquePrefix('admin-http');

  before(async () => {
    redis = await connectTestRedis(prefix, (url) => new Redis(url));
    const { connection } = redis;
    queue = createDeliveryQueue({ connection, prefix });
    const store = createRedisMessageStore({ redis: connection, prefix });
    app = await createRelayAdminHttp({
      logger: createLogger({ service: 'test', version: RELAY_VERSION, level: 'silent' }),
      metrics: createMetrics(),
      readiness: [],
      queueAccess: { queue, store, redis: connection, prefix },
      adminToken: TOKEN,
      host: '127.0.0.1',
      port: 0,
    });
  });

  after(async () => {
    await app.close();
    await queue.close();
    await redis.close();
  });

  async function queued(route: string | undefined): Promise<string> {
    const id = newMessageId();
    const job = newDeliveryJob({
      messageId: id,
      size: 20,
      mailFrom: 'scanner@sales.example.com',
      recipients: ['boss@example.test'],
      receivedAt: Date.now(),
      client: { address: '192.0.2.7', helo: 'scanner.lan' },
      authUser: null,
      bodyType: '7bit',
      smtpUtf8: false,
      route,
    });
    await queue.add(DELIVERY_JOB_NAME, job, { jobId: id, delay: 3_600_000 });
    return id;
  }

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
        hosts: [{ ...SALES.hosts[0], coolingDownMs }, SALES.hosts[1]],
        counts: { delivered: 1, deferred: 0, bounced: 0, throttled: 1 },
      },
    ]);
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
