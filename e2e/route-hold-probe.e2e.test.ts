import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startFakeSmartHost, waitFor, type FakeSmartHost } from '@smtp-relay/testkit';
import { stringify } from 'yaml';
import { adminJson } from './harness/admin-http.ts';
import { holdPeriods, holdStarts, loginTimes, loginsPerHoldEnd } from './harness/hold-periods.ts';
import type { LogLine } from './harness/relay-process.ts';
import { startRelayStack, type RelayStack } from './harness/relay-stack.ts';
import { sendThroughRelay } from './harness/send-through.ts';
import { useTestRedis, type TestRedis } from './harness/test-redis.ts';

// docs/adr/003 with SMART_HOST_ROUTES_FILE: a route whose smart host refuses
// our password (535) is held on its own, its jobs waiting as delayed jobs while
// the other routes deliver, and each of its holds ends with one probe for the
// route across all sender replicas: one login, not one per free worker slot.
// Two senders with 10 slots each, 24 messages queued for the route; logins
// counted at its smart host.

const TOKEN = 'e2e-route-hold-token-0123456789';
const ROUTE = 'isp';
const MESSAGES = 24;
const DEFAULT_MESSAGES = 3;
// Holds grow along RETRY_DELAYS (once per hold): 400 ms, 800 ms, then 1.2 s.
const RETRY_DELAYS = '400ms,800ms,1200ms';
const HOLD_STARTS = 5;
const WRONG_PASSWORD = { code: 535, message: '5.7.8 Authentication credentials invalid' };

interface MessageView {
  id: string;
  state: string;
  route: string | null;
  attempts: number;
  throttled: string | null;
}

/** A fake smart host that wants its own login (plain text over loopback). */
function loginHost(username: string, password: string): Promise<FakeSmartHost> {
  return startFakeSmartHost({ tls: 'none', allowInsecureAuth: true, auth: { username, password } });
}

describe("a route's hold ends with one probe across all sender replicas", () => {
  let redis: TestRedis;
  let dir: string;
  /** Route `isp`: senders *@isp.example; refuses the password until it is fixed. */
  let isp: FakeSmartHost;
  /** The default route (SMART_HOST_* variables); works. */
  let fallback: FakeSmartHost;
  let stack: RelayStack;

  before(async () => {
    redis = await useTestRedis();
    dir = await mkdtemp(join(tmpdir(), 'route-hold-probe-e2e-'));
    [isp, fallback] = await Promise.all([
      loginHost('isp-relay', 'isp-secret'),
      loginHost('default-relay', 'default-secret'),
    ]);
    // The provider refuses our password until the operator fixes it.
    isp.setScript({ auth: () => WRONG_PASSWORD });
    const passwordFile = join(dir, 'isp-relay');
    await writeFile(passwordFile, 'isp-secret\n');
    const routesFile = join(dir, 'routes.yaml');
    await writeFile(
      routesFile,
      stringify({
        routes: [
          {
            name: ROUTE,
            match: { senders: ['*@isp.example'] },
            smartHost: {
              host: `127.0.0.1:${String(isp.port)}`,
              tls: 'none',
              user: 'isp-relay',
              passwordFile,
            },
          },
        ],
      }),
    );
    stack = await startRelayStack({
      redisUrl: redis.url,
      smartHost: { port: fallback.port, tls: 'none' },
      withoutSender: true,
      variables: {
        SMTP_RELAY_NETWORKS: '127.0.0.0/8',
        SMART_HOST_USER: 'default-relay',
        SMART_HOST_PASSWORD: 'default-secret',
        SMART_HOST_ROUTES_FILE: routesFile,
        SENDER_CONCURRENCY: '10',
        SMTP_CLIENT_TIMEOUT: '5s',
        RETRY_DELAYS,
        ADMIN_TOKEN: TOKEN,
      },
    });
  });

  after(async () => {
    const codes = await stack.stop();
    await Promise.all([isp, fallback].map((host) => host.close()));
    await rm(dir, { recursive: true, force: true });
    await redis.cleanup();
    assert.deepEqual(codes, [0, 0, 0]);
  });

  it('one login per hold end for the route, the other routes deliver, then everything goes out once', async () => {
    const ids: string[] = [];
    const defaultIds: string[] = [];
    for (let i = 0; i < MESSAGES; i++) {
      ids.push(await sendThroughRelay(stack.smtpPort, { from: `device-${String(i)}@isp.example` }));
      if (i % 8 === 0) defaultIds.push(await sendThroughRelay(stack.smtpPort));
    }
    const senders = [await stack.startSender(), await stack.startSender()];
    const logs = (predicate: (line: LogLine) => boolean): LogLine[] =>
      senders.flatMap((sender) => sender.logs).filter(predicate);
    const delivered = (): LogLine[] => logs((l) => l.event === 'delivery.delivered');
    const deliveredIds = (of: readonly string[]): string[] =>
      delivered()
        .map((l) => String(l['messageId']))
        .filter((id) => of.includes(id));

    // While the route is held, its messages wait as delayed jobs, shown as held.
    await waitFor(() => holdStarts(senders, ROUTE).length >= 1, {
      timeoutMs: 10_000,
      description: 'the first hold',
    });
    const delayed = await waitFor(
      async () => {
        const { messages } = await adminJson<{ messages: MessageView[] }>(
          stack.ingress.adminPort,
          '/api/v1/messages?state=delayed&limit=100',
          TOKEN,
        );
        const held = messages.filter((m) => ids.includes(m.id));
        return held.length === MESSAGES && held.every((m) => m.throttled === 'held') && held;
      },
      { timeoutMs: 15_000, description: `all ${String(MESSAGES)} messages delayed, held` },
    );
    assert.ok(delayed.every((m) => m.route === ROUTE && m.attempts === 0));

    // Meanwhile the default route delivers, the ones queued before and those
    // sent now, and the route stays held.
    for (let i = 0; i < DEFAULT_MESSAGES; i++) {
      defaultIds.push(await sendThroughRelay(stack.smtpPort));
    }
    await waitFor(() => deliveredIds(defaultIds).length >= defaultIds.length, {
      description: `${String(defaultIds.length)} default-route deliveries`,
    });
    assert.deepEqual(deliveredIds(defaultIds).toSorted(), defaultIds.toSorted());
    assert.equal(fallback.messages.length, defaultIds.length);
    assert.equal(isp.messages.length, 0);

    await waitFor(() => holdStarts(senders, ROUTE).length >= HOLD_STARTS, {
      timeoutMs: 30_000,
      description: `${String(HOLD_STARTS)} holds`,
    });
    const logins = loginTimes(isp);
    const periods = holdPeriods(holdStarts(senders, ROUTE));
    const perHoldEnd = loginsPerHoldEnd(periods, logins);
    const described = `logins per hold end: ${JSON.stringify(perHoldEnd)}; hold starts per hold: ${JSON.stringify(periods.map((p) => p.length))}; logins in all: ${String(logins.length)}`;
    const windows = HOLD_STARTS - 2;
    assert.deepEqual(perHoldEnd.slice(0, windows), Array<number>(windows).fill(1), described);
    assert.deepEqual(
      periods.map((p) => p.length),
      periods.map(() => 1),
      `one hold across both replicas: ${described}`,
    );
    // The hold grows once per hold, shared by the replicas.
    assert.deepEqual(
      periods.slice(0, 4).map((p) => p[0]?.holdMs),
      [400, 800, 1200, 1200],
    );
    assert.equal(isp.messages.length, 0);
    // No other route was held.
    assert.deepEqual(
      logs((l) => l.event === 'delivery.systemic' && l['route'] !== ROUTE),
      [],
    );

    // The operator fixes the password: the next probe gets through and every
    // message goes out, once, on its first attempt (the waits counted none),
    // and nothing bounces.
    isp.setScript({});
    const messages = await isp.waitForMessages(MESSAGES, 20_000);
    await waitFor(() => deliveredIds(ids).length >= MESSAGES, {
      description: `${String(MESSAGES)} delivery.delivered lines of the route`,
    });
    assert.equal(messages.length, MESSAGES);
    assert.ok(messages.every((m) => m.authUser === 'isp-relay'));
    assert.deepEqual(deliveredIds(ids).toSorted(), ids.toSorted());
    const lines = delivered().filter((l) => ids.includes(String(l['messageId'])));
    assert.deepEqual(
      lines.filter((l) => l['route'] !== ROUTE || l['attempt'] !== 1),
      [],
      'delivered by the route on attempt 1',
    );
    assert.deepEqual(
      logs((l) => l.event === 'delivery.bounced' || l.event === 'delivery.deferred'),
      [],
    );
    assert.equal(fallback.messages.length, defaultIds.length);
  });
});
