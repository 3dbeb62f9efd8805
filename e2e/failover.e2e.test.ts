import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFakeSmartHost, waitFor, type FakeSmartHost } from '@smtp-relay/testkit';
import { adminJson, metricSample } from './harness/admin-http.ts';
import type { LogLine } from './harness/relay-process.ts';
import { startRelayStack, type RelayStack } from './harness/relay-stack.ts';
import { sendThroughRelay } from './harness/send-through.ts';
import { useTestRedis, type TestRedis } from './harness/test-redis.ts';

// docs/reference.md "Failover, routes and rate limits": SMART_HOST lists two
// hosts, A then B. A host that fails at connection level is skipped for its
// cool-down and the same attempt goes on to the next; a reply to MAIL is the
// message's outcome; with both down the message waits on RETRY_DELAYS.

const TOKEN = 'e2e-failover-token-0123456789';

interface RouteHostView {
  host: string;
  port: number;
  up: boolean;
  coolingDownMs: number;
  failures: number;
}

interface RouteView {
  name: string;
  hosts: RouteHostView[];
}

interface Relay {
  readonly stack: RelayStack;
  /** First in SMART_HOST. */
  readonly a: FakeSmartHost;
  /** Second in SMART_HOST. */
  readonly b: FakeSmartHost;
  /** `127.0.0.1:<port>` of A: the host in events and metric labels. */
  readonly aKey: string;
  readonly bKey: string;
}

describe('SMART_HOST with two hosts: failover', () => {
  let redis: TestRedis;
  const running: Relay[] = [];

  /** A fresh pair of fake smart hosts and a relay (its own queue prefix) sending to them. */
  async function relayToTwo(variables: Record<string, string>): Promise<Relay> {
    const a = await startFakeSmartHost({ tls: 'none' });
    const b = await startFakeSmartHost({ tls: 'none' });
    const aKey = `127.0.0.1:${String(a.port)}`;
    const bKey = `127.0.0.1:${String(b.port)}`;
    const stack = await startRelayStack({
      redisUrl: redis.url,
      smartHost: { port: a.port, tls: 'none' },
      variables: {
        SMTP_RELAY_NETWORKS: '127.0.0.0/8',
        SMART_HOST: `${aKey}, ${bKey}`,
        SMART_HOST_TLS: 'none',
        SMART_HOST_COOLDOWN: '1s',
        RETRY_DELAYS: '1s',
        ADMIN_TOKEN: TOKEN,
        ...variables,
      },
    });
    const relay = { stack, a, b, aKey, bKey };
    running.push(relay);
    return relay;
  }

  const logsOf = (stack: RelayStack, event: string): LogLine[] =>
    stack.sender.logs.filter((line) => line.event === event);
  const deliveredLine = (stack: RelayStack, id: string): Promise<LogLine> =>
    stack.sender.waitForLog((l) => l.event === 'delivery.delivered' && l['messageId'] === id);
  /** Connections A or B saw (refused at the greeting or not). */
  const connections = (host: FakeSmartHost): number =>
    host.events.filter((e) => e.type === 'connect').length;

  before(async () => {
    redis = await useTestRedis();
  });

  after(async () => {
    for (const { stack, a, b } of running) {
      const codes = await stack.stop();
      await a.close();
      await b.close();
      assert.deepEqual(codes, [0, 0]);
    }
    await redis.cleanup();
  });

  it('A not listening: B delivers in the same attempt, A cools down and is skipped, then takes mail again', async () => {
    // Longer than the sender's 5 s status publishing, so /api/v1/routes shows it.
    const { stack, a, b, aKey } = await relayToTwo({ SMART_HOST_COOLDOWN: '6s' });
    await a.stop();

    const first = await sendThroughRelay(stack.smtpPort, { subject: 'first' });
    const delivered = await deliveredLine(stack, first);
    assert.equal(delivered['attempt'], 1, 'one attempt');
    assert.equal(delivered['route'], 'default');
    assert.equal((await b.waitForMessages(1))[0]?.rcptTo[0], 'boss@example.test');
    assert.ok(!logsOf(stack, 'delivery.deferred').some((l) => l['messageId'] === first));
    const down = await stack.sender.waitForLog(
      (l) => l.event === 'smart-host.down' && l['host'] === aKey,
    );
    assert.equal(down.level, 'warn');
    assert.equal(down['route'], 'default');
    assert.equal(down['reason'], 'unreachable');
    assert.equal(down['cooldownMs'], 6000);
    assert.equal(down['failures'], 1);
    // Lines about hosts name the message they happened to.
    assert.equal(down['messageId'], first);
    assert.equal(logsOf(stack, 'smart-host.failover').length, 1);
    assert.equal(logsOf(stack, 'smart-host.failover')[0]?.['messageId'], first);

    // While A cools down the next message goes straight to B: A is not tried
    // (a try would fail again and log another failover).
    const second = await sendThroughRelay(stack.smtpPort, { subject: 'second' });
    assert.equal((await deliveredLine(stack, second))['attempt'], 1);
    assert.equal((await b.waitForMessages(2)).length, 2);
    assert.equal(logsOf(stack, 'smart-host.failover').length, 1, 'A was not tried again');
    assert.equal(logsOf(stack, 'smart-host.down').length, 1);
    const failures = { route: 'default', host: aKey };
    assert.equal(
      await metricSample(stack.sender.adminPort, 'smtp_relay_smart_host_failures_total', failures),
      1,
    );

    // The admin API shows A down with its cool-down (as the sender last published it).
    const aView = await waitFor(
      async () => {
        const { routes } = await adminJson<{ routes: RouteView[] }>(
          stack.ingress.adminPort,
          '/api/v1/routes',
          TOKEN,
        );
        const host = routes
          .find((route) => route.name === 'default')
          ?.hosts.find((h) => h.port === a.port);
        return host !== undefined && !host.up ? host : undefined;
      },
      { timeoutMs: 10_000, description: '/api/v1/routes showing A down' },
    );
    assert.equal(aView.host, '127.0.0.1');
    assert.ok(aView.coolingDownMs > 0 && aView.coolingDownMs <= 6000, String(aView.coolingDownMs));
    assert.equal(aView.failures, 1);

    // A is back; once its cool-down is over mail goes to A again.
    await a.start();
    await waitFor(
      async () =>
        (await metricSample(stack.sender.adminPort, 'smtp_relay_smart_host_up', failures)) === 1,
      { timeoutMs: 10_000, description: 'A out of its cool-down' },
    );
    const third = await sendThroughRelay(stack.smtpPort, { subject: 'third' });
    await deliveredLine(stack, third);
    const [backOnA] = await a.waitForMessages(1);
    assert.match(backOnA?.data.toString('utf8') ?? '', /^Subject: third\r$/m);
    assert.equal(b.messages.length, 2);
    const up = await stack.sender.waitForLog(
      (l) => l.event === 'smart-host.up' && l['host'] === aKey,
    );
    assert.equal(up['route'], 'default');
    assert.equal(up.level, 'info');
  });

  it('A greets 421: B delivers, and A is not connected to again while it cools down', async () => {
    const { stack, a, b, aKey, bKey } = await relayToTwo({ SMART_HOST_COOLDOWN: '5s' });
    a.setScript({ greeting: { code: 421, message: '4.3.2 Service not available' } });

    const first = await sendThroughRelay(stack.smtpPort);
    assert.equal((await deliveredLine(stack, first))['attempt'], 1);
    await b.waitForMessages(1);
    assert.equal(connections(a), 1, a.describe());
    const down = await stack.sender.waitForLog(
      (l) => l.event === 'smart-host.down' && l['host'] === aKey,
    );
    assert.equal(down['reason'], 'greeting');
    const failover = await stack.sender.waitForLog((l) => l.event === 'smart-host.failover');
    assert.deepEqual([failover['from'], failover['to']], [aKey, bKey]);

    const second = await sendThroughRelay(stack.smtpPort);
    await deliveredLine(stack, second);
    assert.equal((await b.waitForMessages(2)).length, 2);
    assert.equal(connections(a), 1, `A cooling down is not connected to: ${a.describe()}`);
    assert.equal(a.messages.length, 0);
  });

  it('A refuses MAIL FROM with 550: the message bounces, it is never sent to B', async () => {
    const { stack, a, b } = await relayToTwo({});
    a.setScript({
      mailFrom: (address) =>
        address === 'refused@lan.test'
          ? { code: 550, message: '5.1.8 Sender address rejected' }
          : undefined,
    });

    const id = await sendThroughRelay(stack.smtpPort, { from: 'refused@lan.test' });
    const bounced = await stack.sender.waitForLog(
      (l) => l.event === 'delivery.bounced' && l['messageId'] === id,
    );
    assert.equal(bounced['category'], 'sender-rejected');
    assert.equal(bounced['attempt'], 1);
    // The bounce (from <>, which A accepts) goes out the same way.
    const [bounce] = await a.waitForMessages(1);
    assert.equal(bounce?.mailFrom, '');
    assert.deepEqual(bounce.rcptTo, ['refused@lan.test']);
    assert.equal(connections(b), 0, `B never saw the message: ${b.describe()}`);
    assert.equal(logsOf(stack, 'smart-host.down').length, 0);
    assert.equal(logsOf(stack, 'smart-host.failover').length, 0);
  });

  it('both down: deferred on RETRY_DELAYS (network), delivered once B is back', async () => {
    const { stack, a, b } = await relayToTwo({});
    await a.stop();
    await b.stop();

    const id = await sendThroughRelay(stack.smtpPort);
    const deferred = await stack.sender.waitForLog(
      (l) => l.event === 'delivery.deferred' && l['messageId'] === id,
    );
    assert.equal(deferred['category'], 'network');
    assert.equal(deferred['retryInMs'], 1000);
    assert.equal(deferred['attempt'], 1);
    assert.equal(logsOf(stack, 'smart-host.down').length, 2, 'both hosts cooled down');

    await b.start();
    const delivered = await stack.sender.waitForLog(
      (l) => l.event === 'delivery.delivered' && l['messageId'] === id,
      20_000,
    );
    assert.ok(Number(delivered['attempt']) >= 2);
    const [message] = await b.waitForMessages(1);
    assert.deepEqual(message?.rcptTo, ['boss@example.test']);
    // Every attempt before was deferred as a network failure, none bounced.
    const earlier = logsOf(stack, 'delivery.deferred').filter((l) => l['messageId'] === id);
    assert.ok(
      earlier.every((l) => l['category'] === 'network'),
      JSON.stringify(earlier),
    );
    assert.equal(logsOf(stack, 'delivery.bounced').length, 0);
  });
});
