import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFakeSmartHost, waitFor, type FakeSmartHost } from '@smtp-relay/testkit';
import type { LogLine } from './harness/relay-process.ts';
import { startRelayStack, type RelayStack } from './harness/relay-stack.ts';
import { readRouteGauge, readRoutes } from './harness/route-state.ts';
import { sendThroughRelay } from './harness/send-through.ts';
import { useTestRedis, type TestRedis } from './harness/test-redis.ts';

// docs/adr/012: a smart host that caps the connections it takes from us greets
// the next one with "421 ... too many connections". That is neither an outage
// (no failover, no cool-down) nor a reason to defer the message on
// RETRY_DELAYS (1h here): the route lowers its connection limit and the mail
// waits for a free connection. Here smtp-server's own cap (maxClients) refuses
// with "421 <name> Too many connected clients, try again in a moment".

const TOKEN = 'e2e-admin-token-0123456789';
const MESSAGES = 10;

describe('a smart host that caps connections', () => {
  let redis: TestRedis;
  let smartHost: FakeSmartHost;
  let stack: RelayStack;

  before(async () => {
    redis = await useTestRedis();
    smartHost = await startFakeSmartHost({ tls: 'none', maxClients: 2 });
    stack = await startRelayStack({
      redisUrl: redis.url,
      smartHost: { port: smartHost.port, tls: 'none' },
      // Everything is queued first: the sender opens 10 connections at once.
      withoutSender: true,
      variables: {
        SMTP_RELAY_NETWORKS: '127.0.0.0/8',
        SENDER_CONCURRENCY: '10',
        RETRY_DELAYS: '1h',
        ADMIN_TOKEN: TOKEN,
      },
    });
  });

  after(async () => {
    const codes = await stack.stop();
    await smartHost.close();
    await redis.cleanup();
    assert.deepEqual(codes, [0, 0]);
  });

  it('lowers the route connection limit and delivers everything within the test, nothing deferred or bounced', async () => {
    const ids: string[] = [];
    for (let i = 0; i < MESSAGES; i++) ids.push(await sendThroughRelay(stack.smtpPort));
    const sender = await stack.startSender();
    const lines = (event: string): LogLine[] => sender.logs.filter((l) => l.event === event);

    const limit = await waitFor(
      async () => readRouteGauge(sender.adminPort, 'smtp_relay_route_connection_limit'),
      { description: 'smtp_relay_route_connection_limit > 0 (lowered)' },
    );
    assert.ok(limit >= 1 && limit < MESSAGES, `connection limit ${String(limit)}`);
    const route = await waitFor(
      async () =>
        (await readRoutes(stack.ingress.adminPort, TOKEN)).find(
          (r) => r.name === 'default' && r.connectionLimit !== null,
        ),
      { description: 'GET /api/v1/routes: default route with a connection limit' },
    );
    assert.ok(route.connectionLimit !== null && route.connectionLimit < MESSAGES);
    assert.equal(route.pausedMs, 0, 'a connection cap does not pause the route');

    await smartHost.waitForMessages(MESSAGES, 30_000);
    await waitFor(() => lines('delivery.delivered').length >= MESSAGES, {
      description: `${String(MESSAGES)} delivery.delivered lines`,
    });
    const delivered = lines('delivery.delivered');
    assert.deepEqual(delivered.map((l) => String(l['messageId'])).toSorted(), ids.toSorted());
    assert.deepEqual(
      delivered.map((l) => l['attempt']),
      ids.map(() => 1),
    );
    const refused = lines('delivery.throttled');
    assert.ok(refused.length >= 1, 'some connections were refused');
    assert.deepEqual(
      new Set(refused.map((l) => l['category'])),
      new Set(['connection-limit']),
      JSON.stringify(refused.map((l) => l['reply'])),
    );
    assert.deepEqual(lines('delivery.deferred'), []);
    assert.deepEqual(lines('delivery.bounced'), []);
    // Not an outage: the only host was never cooled down.
    assert.deepEqual(lines('smart-host.down'), []);
  });
});
