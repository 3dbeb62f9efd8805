import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  connectTestRedis,
  unreachableRedis,
  uniquePrefix,
  type TestRedisConnection,
} from '@smtp-relay/testkit';
import { Redis } from 'ioredis';
import { createHostActivityLog } from '../src/route-status/host-activity.ts';
import { recordHoldReason } from '../src/route-status/hold-reason.ts';
import {
  holdReasonKey,
  hostActivityKey,
  routeStatusKey,
} from '../src/route-status/route-status-keys.ts';
import {
  countRouteOutcome,
  publishRouteStatus,
  readRouteStatus,
  ROUTE_STATUS_TTL_MS,
} from '../src/route-status/route-status-store.ts';
import type { PublishedRouteStatus } from '../src/route-status/route-status.ts';

const SALES: PublishedRouteStatus = {
  name: 'sales',
  match: { senders: ['*@sales.example.com'], users: ['scanner-3f'] },
  hosts: [
    {
      host: 'primary.example',
      port: 587,
      tls: 'starttls',
      up: true,
      coolingDownMs: 0,
      failures: 0,
    },
    { host: 'backup.example', port: 465, tls: 'implicit', up: true, coolingDownMs: 0, failures: 0 },
  ],
  rate: '30/1m',
  recipientRate: null,
  sentInWindow: 12,
  recipientsInWindow: 40,
  pausedMs: 0,
  pauses: 0,
  heldMs: 0,
  connectionLimit: null,
  inFlight: 2,
  auth: 'password',
  oauth2: null,
};

const DEFAULT: PublishedRouteStatus = {
  ...SALES,
  name: 'default',
  match: null,
  hosts: [
    { host: 'smtp.isp.example', port: 25, tls: 'none', up: true, coolingDownMs: 0, failures: 0 },
  ],
  rate: null,
  connectionLimit: 3,
};

const NO_COUNTS = { delivered: 0, deferred: 0, bounced: 0, throttled: 0 };
const NO_ACTIVITY = { lastReply: null, lastReplyAt: null, lastSuccessAt: null };
/** A published route as read back before any sender noted a reply or a hold. */
const readBack = (route: PublishedRouteStatus) => ({
  ...route,
  hosts: route.hosts.map((host) => ({ ...host, ...NO_ACTIVITY })),
  holdReason: null,
  counts: NO_COUNTS,
});

describe('route status in Redis (real Redis)', () => {
  let redis: TestRedisConnection<Redis>;
  // Each test publishes under its own `${prefix}:<name>`; the clean-up deletes `${prefix}:*`.
  const prefix = uniquePrefix('route-status');

  before(async () => {
    redis = await connectTestRedis(prefix, (url) => new Redis(url));
  });

  after(async () => {
    await redis.close();
  });

  it('reads [] when no sender has published', async () => {
    assert.deepEqual(await readRouteStatus(redis.connection, `${prefix}:nothing`), []);
  });

  it('reads back the published list in its order, with zero counts, expiring without a refresh', async () => {
    await publishRouteStatus(redis.connection, prefix, [SALES, DEFAULT]);
    assert.deepEqual(await readRouteStatus(redis.connection, prefix), [
      readBack(SALES),
      readBack(DEFAULT),
    ]);
    const ttl = await redis.connection.pttl(routeStatusKey(prefix));
    assert.ok(ttl > 0 && ttl <= ROUTE_STATUS_TTL_MS, `ttl ${String(ttl)}`);
  });

  it('merges each route its own counts; a new list keeps them', async () => {
    const other = `${prefix}:counts`;
    await publishRouteStatus(redis.connection, other, [SALES, DEFAULT]);
    await Promise.all([
      countRouteOutcome(redis.connection, other, 'sales', 'delivered'),
      countRouteOutcome(redis.connection, other, 'sales', 'delivered'),
      countRouteOutcome(redis.connection, other, 'sales', 'throttled'),
      countRouteOutcome(redis.connection, other, 'default', 'bounced'),
      countRouteOutcome(redis.connection, other, 'default', 'deferred'),
    ]);
    await publishRouteStatus(redis.connection, other, [DEFAULT, SALES]);
    const routes = await readRouteStatus(redis.connection, other);
    assert.deepEqual(
      routes.map((route) => [route.name, route.counts]),
      [
        ['default', { delivered: 0, deferred: 1, bounced: 1, throttled: 0 }],
        ['sales', { delivered: 2, deferred: 0, bounced: 0, throttled: 1 }],
      ],
    );
  });

  it('shortens the times left by the age of the list, measured by its TTL in Redis', async () => {
    const aged = `${prefix}:aged`;
    await publishRouteStatus(redis.connection, aged, [
      {
        ...SALES,
        hosts: [
          {
            host: 'primary.example',
            port: 587,
            tls: 'starttls',
            up: false,
            coolingDownMs: 600_000,
            failures: 5,
          },
          {
            host: 'backup.example',
            port: 465,
            tls: 'implicit',
            up: false,
            coolingDownMs: 3_000,
            failures: 1,
          },
        ],
        pausedMs: 600_000,
        pauses: 3,
        heldMs: 3_000,
      },
    ]);
    // As if published 4 s ago or more (the TTL only runs down from here).
    await redis.connection.pexpire(routeStatusKey(aged), ROUTE_STATUS_TTL_MS - 4_000);
    const [route] = await readRouteStatus(redis.connection, aged);
    assert.ok(route);
    const [primary, backup] = route.hosts;
    assert.ok(primary && backup);
    assert.equal(primary.up, false, 'still cooling down');
    assert.ok(primary.coolingDownMs <= 596_000 && primary.coolingDownMs > 0);
    assert.deepEqual([backup.up, backup.coolingDownMs, backup.failures], [true, 0, 1]);
    assert.ok(route.pausedMs <= 596_000 && route.pausedMs > 0);
    assert.equal(route.pauses, 3);
    assert.equal(route.heldMs, 0);
  });

  it('reads [] from a list it cannot read (another format version, not JSON)', async () => {
    const odd = `${prefix}:odd`;
    for (const text of [JSON.stringify({ v: 2, routes: [SALES] }), '{not json', '[]', 'null']) {
      await redis.connection.set(routeStatusKey(odd), text, 'PX', 10_000);
      assert.deepEqual(await readRouteStatus(redis.connection, odd), [], text);
    }
  });

  it("each host's last reply and last success: the newest of any replica wins", async () => {
    const hosts = `${prefix}:activity`;
    let clock = 1_000_000;
    const replicaA = createHostActivityLog(() => clock);
    const replicaB = createHostActivityLog(() => clock);
    replicaA.note('sales', 'primary.example:587', '250 2.0.0 Ok: queued as A1', true);
    clock += 1000;
    replicaB.note('sales', 'primary.example:587', '451 4.7.1 Try again later', false);
    replicaB.note('sales', 'backup.example:465', 'connect ECONNREFUSED 192.0.2.9:465', false);
    // B writes first, then A with its older notes: they must not replace B's reply.
    await replicaB.publish(redis.connection, hosts);
    await replicaA.publish(redis.connection, hosts);
    await publishRouteStatus(redis.connection, hosts, [SALES]);
    const [route] = await readRouteStatus(redis.connection, hosts);
    assert.deepEqual(
      route?.hosts.map((h) => [h.host, h.lastReply, h.lastReplyAt, h.lastSuccessAt]),
      [
        ['primary.example', '451 4.7.1 Try again later', 1_001_000, 1_000_000],
        ['backup.example', 'connect ECONNREFUSED 192.0.2.9:465', 1_001_000, null],
      ],
    );
    // Nothing new noted: a publish writes nothing.
    await redis.connection.del(hostActivityKey(hosts, 'sales', 'backup.example:465'));
    await replicaB.publish(redis.connection, hosts);
    assert.equal(
      await redis.connection.exists(hostActivityKey(hosts, 'sales', 'backup.example:465')),
      0,
    );
  });

  it('why a route is held, with what to fix, read with the route', async () => {
    const held = `${prefix}:held`;
    await publishRouteStatus(redis.connection, held, [SALES, DEFAULT]);
    const reason = {
      category: 'auth',
      reply: '535 5.7.8 Authentication credentials invalid',
      hint: 'check SMART_HOST_USER and SMART_HOST_PASSWORD',
      at: 1_700_000_000_000,
    };
    await recordHoldReason(redis.connection, held, 'sales', reason);
    const routes = await readRouteStatus(redis.connection, held);
    assert.deepEqual(
      routes.map((route) => [route.name, route.holdReason]),
      [
        ['sales', reason],
        ['default', null],
      ],
    );
    await redis.connection.set(holdReasonKey(held, 'default'), '{not json');
    assert.equal((await readRouteStatus(redis.connection, held))[1]?.holdReason, null);
  });

  it('counting, noting replies and hold reasons never reject, also without Redis', async () => {
    const down = await unreachableRedis();
    await countRouteOutcome(down, prefix, 'sales', 'delivered');
    const activity = createHostActivityLog();
    activity.note('sales', 'primary.example:587', '250 ok', true);
    await activity.publish(down, prefix);
    await recordHoldReason(down, prefix, 'sales', {
      category: 'tls',
      reply: '',
      hint: null,
      at: 1,
    });
    down.disconnect();
  });
});
