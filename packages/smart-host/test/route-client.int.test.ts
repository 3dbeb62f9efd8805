import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { SmartHostConfig, SmartHostEndpoint } from '@smtp-relay/config';
import { RELAY_VERSION, createLogger, createMetrics } from '@smtp-relay/observability';
import { classifyDeliveryError } from '@smtp-relay/smtp-errors';
import {
  captureLogs,
  connectTestRedis,
  generateCertificates,
  startFakeSmartHost,
  uniquePrefix,
  waitFor,
  type FakeSmartHost,
  type FakeSmartHostOptions,
  type GeneratedCertificates,
  type TestRedisConnection,
} from '@smtp-relay/testkit';
import { Redis } from 'ioredis';
import {
  createRedisHostHealthStore,
  hostHealthKeys,
} from '../src/failover/redis-host-health-store.ts';
import { createRouteClient, type RouteClientOptions } from '../src/failover/route-client.ts';
import type { SmartHostError } from '../src/smart-host-client.ts';
import { createHostActivityLog, readHostActivity } from '../src/route-status/host-activity.ts';
import { singleHostConfig } from './single-host-config.ts';

// A route of two smart hosts from the testkit behind createRouteClient, sharing
// their health through a real Redis (docs/reference.md "Failover, routes and
// rate limits"). What reached a host is counted at the host: its `connect` events.

const ENVELOPE = {
  from: 'scanner@lan.test',
  to: ['boss@example.test'],
  size: 7,
  use8BitMime: false,
};
const BODY = [Buffer.from('hello\r\n')];
const USER = 'relay';
const PASSWORD = 'relay-secret';

const prefix = uniquePrefix('route-client');
let redis: TestRedisConnection<Redis>;
let certs: GeneratedCertificates;
before(async () => {
  redis = await connectTestRedis(prefix, (url) => new Redis(url));
  certs = await generateCertificates();
});
after(async () => {
  await redis.close();
  await certs.cleanup();
});

let routes = 0;

async function fakeHost(t: TestContext, options: Partial<FakeSmartHostOptions> = {}) {
  const host = await startFakeSmartHost({ tls: 'none', ...options });
  t.after(() => host.close());
  return host;
}

const endpoint = (host: FakeSmartHost, tls: SmartHostEndpoint['tls'] = 'none') => ({
  host: '127.0.0.1',
  port: host.port,
  tls,
});

const connects = (host: FakeSmartHost): number =>
  host.events.filter((event) => event.type === 'connect').length;

/** One sender replica's client for `route`: its own Redis connection, logs and metrics. */
function replica(
  t: TestContext,
  route: string,
  hosts: readonly SmartHostEndpoint[],
  fields: Partial<SmartHostConfig> = {},
  clientFields: Pick<RouteClientOptions, 'healthyForMs' | 'monotonicNow' | 'activity'> = {},
) {
  const [first] = hosts;
  assert.ok(first);
  const connection = new Redis(redis.url);
  const logs = captureLogs((destination) =>
    createLogger({ service: 'test', version: RELAY_VERSION, level: 'debug', destination }),
  );
  const metrics = createMetrics();
  const health = createRedisHostHealthStore(connection, prefix);
  const client = createRouteClient({
    route,
    health,
    metrics,
    smartHost: {
      ...singleHostConfig({
        provider: undefined,
        region: undefined,
        demo: false,
        oauth2: undefined,
        ...first,
        user: undefined,
        password: undefined,
        authMethods: undefined,
        caFile: undefined,
        tlsVerify: true,
      }),
      hosts,
      ...fields,
    },
    extraCa: undefined,
    heloName: 'relay.test',
    timeoutMs: 5000,
    logger: logs.logger,
    ...clientFields,
  });
  t.after(async () => {
    await client.close();
    connection.disconnect();
  });
  const healthOf = async (host: FakeSmartHost) => {
    const key = `127.0.0.1:${host.port}`;
    return (await health.read(route, [key])).get(key);
  };
  const failuresCounted = async (host: FakeSmartHost) => {
    const values = (await metrics.smartHostFailures.get()).values;
    return values.find((value) => value.labels.host === `127.0.0.1:${host.port}`)?.value ?? 0;
  };
  return { client, logs, healthOf, failuresCounted };
}

function newRoute(): string {
  return `r${++routes}`;
}

/** The cool-down of `host` runs out now (what waiting SMART_HOST_COOLDOWN would do). */
async function endCooldown(route: string, host: FakeSmartHost): Promise<void> {
  const key = `127.0.0.1:${host.port}`;
  await redis.connection.pexpire(hostHealthKeys(prefix, route, key).cooldown, 1);
  await waitFor(
    async () => (await redis.connection.exists(hostHealthKeys(prefix, route, key).cooldown)) === 0,
    {
      description: 'cool-down over',
      intervalMs: 5,
    },
  );
}

function rejection(promise: Promise<unknown>): Promise<SmartHostError> {
  return promise.then(
    () => assert.fail('expected the send to fail'),
    (error: unknown) => error as SmartHostError,
  );
}

const GREETING_421 = { code: 421, message: '4.3.2 Service not available, closing channel' };

describe('route client: failover among smart hosts', () => {
  it('a host refusing connections: the same send goes to the next; the first cools down for every replica', async (t) => {
    const a = await fakeHost(t);
    const b = await fakeHost(t);
    await a.stop();
    const route = newRoute();
    const first = replica(t, route, [endpoint(a), endpoint(b)]);

    await first.client.send(ENVELOPE, BODY);
    assert.equal(b.messages.length, 1);
    const health = await first.healthOf(a);
    assert.ok(health && health.coolingDownMs > 0 && health.failures === 1, JSON.stringify(health));
    assert.equal(await first.failuresCounted(a), 1);
    const down = first.logs.lines().find((line) => line['event'] === 'smart-host.down');
    assert.equal(down?.['level'], 'warn');
    assert.equal(down['route'], route);
    assert.equal(down['host'], `127.0.0.1:${a.port}`);
    assert.equal(down['reason'], 'unreachable');
    assert.equal(down['cooldownMs'], 30_000);
    assert.equal(down['failures'], 1);
    const failover = first.logs.lines().find((line) => line['event'] === 'smart-host.failover');
    assert.equal(failover?.['from'], `127.0.0.1:${a.port}`);
    assert.equal(failover['to'], `127.0.0.1:${b.port}`);

    // Back up, but still cooling down: another replica does not even connect.
    await a.start();
    const second = replica(t, route, [endpoint(a), endpoint(b)]);
    await second.client.send(ENVELOPE, BODY);
    assert.equal(connects(a), 0, a.describe());
    assert.equal(b.messages.length, 2);
    assert.deepEqual(second.logs.events(), []);
  });

  it("notes each host's reply for the dashboard: the refusal, then the next host's 250", async (t) => {
    const a = await fakeHost(t);
    const b = await fakeHost(t);
    await a.stop();
    const route = newRoute();
    const activity = createHostActivityLog();
    const first = replica(t, route, [endpoint(a), endpoint(b)], {}, { activity });
    const before = Date.now();
    await first.client.send(ENVELOPE, BODY);
    await activity.publish(redis.connection, prefix);
    const [down, up] = await readHostActivity(redis.connection, prefix, route, [
      `127.0.0.1:${String(a.port)}`,
      `127.0.0.1:${String(b.port)}`,
    ]);
    assert.match(down?.lastReply ?? '', /ECONNREFUSED/);
    assert.equal(down?.lastSuccessAt, null);
    assert.match(up?.lastReply ?? '', /^250 2\.0\.0 Ok: queued as /);
    assert.ok((up?.lastSuccessAt ?? 0) >= before);
    assert.equal(up?.lastSuccessAt, up?.lastReplyAt);
  });

  it('a 421 greeting: failover, then the host is skipped without connecting', async (t) => {
    const a = await fakeHost(t, { script: { greeting: GREETING_421 } });
    const b = await fakeHost(t);
    const { client, logs } = replica(t, newRoute(), [endpoint(a), endpoint(b)]);
    await client.send(ENVELOPE, BODY);
    await client.send(ENVELOPE, BODY);
    assert.equal(connects(a), 1);
    assert.equal(b.messages.length, 2);
    assert.deepEqual(logs.events(), ['smart-host.down', 'smart-host.failover']);
    assert.equal(logs.lines()[0]?.['reason'], 'greeting');
  });

  it('a TLS failure (certificate not trusted): failover', async (t) => {
    const a = await fakeHost(t, {
      tls: 'starttls',
      certificate: { key: certs.key, cert: certs.cert },
    });
    const b = await fakeHost(t);
    const { client, logs } = replica(t, newRoute(), [endpoint(a, 'starttls'), endpoint(b)]);
    await client.send(ENVELOPE, BODY);
    assert.equal(b.messages.length, 1);
    assert.equal(a.messages.length, 0);
    assert.equal(logs.lines()[0]?.['reason'], 'tls');
  });

  it('AUTH refused: failover (the credentials are shared, the hosts may differ)', async (t) => {
    const a = await fakeHost(t, {
      auth: { username: USER, password: 'another-password' },
      allowInsecureAuth: true,
    });
    const b = await fakeHost(t, {
      auth: { username: USER, password: PASSWORD },
      allowInsecureAuth: true,
    });
    const { client, logs } = replica(t, newRoute(), [endpoint(a), endpoint(b)], {
      user: USER,
      password: PASSWORD,
    });
    await client.send(ENVELOPE, BODY);
    assert.equal(b.messages[0]?.authUser, USER);
    assert.equal(logs.lines()[0]?.['reason'], 'auth');
  });

  it('a 550 to MAIL is the message outcome: no failover, no cool-down', async (t) => {
    const a = await fakeHost(t, {
      script: { mailFrom: () => ({ code: 550, message: '5.7.1 Sender not allowed' }) },
    });
    const b = await fakeHost(t);
    const { client, logs, healthOf } = replica(t, newRoute(), [endpoint(a), endpoint(b)]);
    const error = await rejection(client.send(ENVELOPE, BODY));
    assert.equal(error.responseCode, 550);
    assert.equal(connects(b), 0);
    assert.deepEqual(await healthOf(a), { coolingDownMs: 0, failures: 0 });
    assert.deepEqual(logs.events(), []);
  });

  it('a connection lost during DATA: no failover (the host may have the message)', async (t) => {
    const a = await fakeHost(t, { slowMs: 60_000 });
    const b = await fakeHost(t);
    const { client, healthOf } = replica(t, newRoute(), [endpoint(a), endpoint(b)]);
    const sent = rejection(client.send(ENVELOPE, BODY));
    await a.waitForEvent((event) => event.type === 'data-received');
    await a.stop();
    const error = await sent;
    assert.equal(error.stage, 'transaction');
    assert.equal(connects(b), 0);
    assert.deepEqual(await healthOf(a), { coolingDownMs: 0, failures: 0 });
  });

  it('421 "too many connections" at the greeting: rejected as it is, no failover, no cool-down', async (t) => {
    const a = await fakeHost(t, {
      script: { greeting: { code: 421, message: '4.7.0 Too many connections, try again later' } },
    });
    const b = await fakeHost(t);
    const { client, healthOf } = replica(t, newRoute(), [endpoint(a), endpoint(b)]);
    const error = await rejection(client.send(ENVELOPE, BODY));
    assert.equal(error.responseCode, 421);
    assert.match(error.response ?? error.message, /Too many connections/);
    assert.equal(connects(b), 0);
    assert.deepEqual(await healthOf(a), { coolingDownMs: 0, failures: 0 });
  });

  it('the cool-down doubles while the host keeps failing; a success clears it', async (t) => {
    const a = await fakeHost(t, { script: { greeting: GREETING_421 } });
    const b = await fakeHost(t);
    const route = newRoute();
    const { client, logs, healthOf, failuresCounted } = replica(
      t,
      route,
      [endpoint(a), endpoint(b)],
      { cooldownMs: 1000 },
    );
    await client.send(ENVELOPE, BODY);
    await endCooldown(route, a);
    await client.send(ENVELOPE, BODY);
    assert.equal(connects(a), 2);
    const downs = logs.lines().filter((line) => line['event'] === 'smart-host.down');
    assert.deepEqual(
      downs.map((line) => [line['cooldownMs'], line['failures']]),
      [
        [1000, 1],
        [2000, 2],
      ],
    );
    assert.equal(await failuresCounted(a), 2);

    a.setScript({});
    await endCooldown(route, a);
    await client.send(ENVELOPE, BODY);
    assert.equal(a.messages.length, 1);
    assert.deepEqual(await healthOf(a), { coolingDownMs: 0, failures: 0 });
    const up = logs.lines().find((line) => line['event'] === 'smart-host.up');
    assert.equal(up?.['level'], 'info');
    assert.equal(up['failures'], 2);
    assert.equal(b.messages.length, 2);
  });

  it('every host down: the last error; then only the host back soonest is tried; a probe (ignoreCooldown) tries every host', async (t) => {
    const a = await fakeHost(t, { script: { greeting: GREETING_421 } });
    const b = await fakeHost(t, { script: { greeting: GREETING_421 } });
    const route = newRoute();
    const { client, logs } = replica(t, route, [endpoint(a), endpoint(b)]);

    const first = await rejection(client.send(ENVELOPE, BODY));
    assert.equal(first.responseCode, 421);
    assert.equal(classifyDeliveryError(first).kind, 'transient');
    assert.deepEqual([connects(a), connects(b)], [1, 1]);

    // Both cooling down: a's cool-down began first, so it ends first.
    const cooling = await rejection(client.send(ENVELOPE, BODY));
    assert.equal(cooling.responseCode, 421);
    assert.equal(classifyDeliveryError(cooling).kind, 'transient');
    assert.deepEqual([connects(a), connects(b)], [2, 1]);

    await rejection(client.send(ENVELOPE, BODY, { ignoreCooldown: true }));
    assert.deepEqual([connects(a), connects(b)], [3, 2]);
    // Failures of hosts cooling down already do not extend their cool-down.
    assert.equal(logs.events().filter((event) => event === 'smart-host.down').length, 2);

    b.setScript({});
    await client.send(ENVELOPE, BODY, { ignoreCooldown: true });
    assert.equal(b.messages.length, 1);
    assert.ok(logs.events().includes('smart-host.up'));
  });

  it('every host refused our credentials: the last AUTH error, systemic (the mail is held)', async (t) => {
    const auth = { username: USER, password: 'not-ours' };
    const a = await fakeHost(t, { auth, allowInsecureAuth: true });
    const b = await fakeHost(t, { auth, allowInsecureAuth: true });
    const { client } = replica(t, newRoute(), [endpoint(a), endpoint(b)], {
      user: USER,
      password: PASSWORD,
    });
    const error = await rejection(client.send(ENVELOPE, BODY));
    assert.equal(error.code, 'EAUTH');
    assert.equal(classifyDeliveryError(error).kind, 'systemic');
    assert.deepEqual([connects(a), connects(b)], [1, 1]);
  });

  // docs/adr/014: healthy hosts are read once per healthyForMs (250 ms).
  it("hosts read healthy are read again after healthyForMs: another replica's cool-down reaches it by then", async (t) => {
    const a = await fakeHost(t);
    const b = await fakeHost(t);
    const route = newRoute();
    const time = { now: 0 };
    const { client } = replica(
      t,
      route,
      [endpoint(a), endpoint(b)],
      {},
      {
        monotonicNow: () => time.now,
      },
    );
    await client.send(ENVELOPE, BODY);
    // Another replica cools a down (it failed there).
    const key = `127.0.0.1:${String(a.port)}`;
    await createRedisHostHealthStore(redis.connection, prefix).recordFailure(route, key, 30_000);
    time.now = 249;
    await client.send(ENVELOPE, BODY);
    assert.deepEqual([a.messages.length, b.messages.length], [2, 0]);
    time.now = 250;
    await client.send(ENVELOPE, BODY);
    assert.deepEqual([a.messages.length, b.messages.length], [2, 1]);
  });

  it('credentials refused by one host while the other is down: the network error (deferred, not held)', async (t) => {
    const a = await fakeHost(t, {
      auth: { username: USER, password: 'not-ours' },
      allowInsecureAuth: true,
    });
    const b = await fakeHost(t);
    await b.stop();
    const { client } = replica(t, newRoute(), [endpoint(a), endpoint(b)], {
      user: USER,
      password: PASSWORD,
    });
    const error = await rejection(client.send(ENVELOPE, BODY));
    assert.notEqual(error.code, 'EAUTH');
    assert.equal(classifyDeliveryError(error).kind, 'transient');
  });
});
