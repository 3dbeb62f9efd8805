import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFakeSmartHost, waitFor, type FakeSmartHost } from '@smtp-relay/testkit';
import type { LogLine, RelayProcess } from './harness/relay-process.ts';
import { startRelayStack, type RelayStack } from './harness/relay-stack.ts';
import { readRouteGauge, readRoutes } from './harness/route-state.ts';
import { sendThroughRelay } from './harness/send-through.ts';
import { useTestRedis, type TestRedis } from './harness/test-redis.ts';

// docs/reference.md "Failover, routes and rate limits" and docs/adr/012:
// SMART_HOST_RATE and SMART_HOST_RECIPIENT_RATE hold at the smart host across
// all sender replicas together, and a throttling reply pauses the route. Mail
// that waits is never bounced, never deferred on RETRY_DELAYS (1h here, so a
// deferral would not come back within the test) and counts no attempt.

const TOKEN = 'e2e-admin-token-0123456789';
const WINDOW_MS = 3000;

interface Arrival {
  readonly at: number;
  /** What it counts for in the window: 1 per message, or its recipients. */
  readonly weight: number;
}

/** The most any window [t, t + windowMs) holds (the busiest one starts at an arrival). */
function busiestWindow(arrivals: readonly Arrival[], windowMs: number): number {
  return Math.max(
    0,
    ...arrivals.map((start) =>
      arrivals
        .filter((a) => a.at >= start.at && a.at < start.at + windowMs)
        .reduce((sum, a) => sum + a.weight, 0),
    ),
  );
}

const linesOf = (senders: readonly RelayProcess[], event: string): LogLine[] =>
  senders.flatMap((sender) => sender.logs).filter((line) => line.event === event);

/** All queued messages went out once, each on its first attempt, none bounced or deferred. */
async function assertAllDeliveredFirstTime(
  senders: readonly RelayProcess[],
  ids: readonly string[],
): Promise<void> {
  await waitFor(() => linesOf(senders, 'delivery.delivered').length >= ids.length, {
    timeoutMs: 10_000,
    description: `${String(ids.length)} delivery.delivered lines`,
  });
  const delivered = linesOf(senders, 'delivery.delivered');
  assert.deepEqual(delivered.map((l) => String(l['messageId'])).toSorted(), ids.toSorted());
  // Waiting for the route moved no message along RETRY_DELAYS.
  assert.deepEqual(
    delivered.map((l) => l['attempt']),
    ids.map(() => 1),
  );
  assert.deepEqual(linesOf(senders, 'delivery.bounced'), []);
  assert.deepEqual(linesOf(senders, 'delivery.deferred'), []);
}

describe('rate limits and throttling across sender replicas', () => {
  let redis: TestRedis;
  let smartHost: FakeSmartHost;
  let stack: RelayStack | undefined;

  const startStack = async (variables: Record<string, string>): Promise<RelayStack> => {
    stack = await startRelayStack({
      redisUrl: redis.url,
      smartHost: { port: smartHost.port, tls: 'none' },
      // Everything is queued before the senders start: they meet a backlog.
      withoutSender: true,
      variables: {
        SMTP_RELAY_NETWORKS: '127.0.0.0/8',
        RETRY_DELAYS: '1h',
        ADMIN_TOKEN: TOKEN,
        ...variables,
      },
    });
    return stack;
  };

  before(async () => {
    redis = await useTestRedis();
    smartHost = await startFakeSmartHost({ tls: 'none' });
  });

  after(async () => {
    await smartHost.close();
    await redis.cleanup();
  });

  const stopStack = async (): Promise<void> => {
    const codes = await stack?.stop();
    stack = undefined;
    smartHost.setScript({});
    smartHost.reset();
    assert.ok(
      codes?.every((code) => code === 0),
      `exit codes ${JSON.stringify(codes)}`,
    );
  };

  it('SMART_HOST_RATE=5/3s: 15 messages from 2 senders, never more than 5 in 3 s at the smart host', async (t) => {
    t.after(stopStack);
    const relay = await startStack({ SMART_HOST_RATE: '5/3s', SENDER_CONCURRENCY: '10' });
    const ids: string[] = [];
    for (let i = 0; i < 15; i++) ids.push(await sendThroughRelay(relay.smtpPort));
    const senders = [await relay.startSender(), await relay.startSender()];

    const messages = await smartHost.waitForMessages(15, 30_000);
    await assertAllDeliveredFirstTime(senders, ids);
    assert.equal(messages.length, 15, smartHost.describe());
    const arrivals = messages.map((m) => ({ at: m.receivedAt.getTime(), weight: 1 }));
    const mails = smartHost.events.flatMap((e) =>
      e.type === 'mail-from' ? [{ at: e.at.getTime(), weight: 1 }] : [],
    );
    assert.equal(mails.length, 15, smartHost.describe());
    const described = `arrivals (ms from the first): ${JSON.stringify(arrivals.map((a) => a.at - (arrivals[0]?.at ?? 0)))}`;
    assert.ok(busiestWindow(arrivals, WINDOW_MS) <= 5, described);
    assert.ok(busiestWindow(mails, WINDOW_MS) <= 5, described);
    // The limit was what held them back: jobs over it waited without an attempt.
    assert.ok(
      linesOf(senders, 'delivery.waiting').some((l) => l['reason'] === 'rate'),
      'some deliveries waited for the rate',
    );
  });

  it('SMART_HOST_RECIPIENT_RATE=6/3s: never more than 6 recipients in 3 s at the smart host', async (t) => {
    t.after(stopStack);
    const relay = await startStack({ SMART_HOST_RECIPIENT_RATE: '6/3s', SENDER_CONCURRENCY: '10' });
    const recipientCounts = [3, 2, 1, 3, 2, 1, 3, 2];
    const ids: string[] = [];
    for (const [i, count] of recipientCounts.entries()) {
      const to = Array.from({ length: count }, (_, r) => `m${String(i)}r${String(r)}@example.test`);
      ids.push(await sendThroughRelay(relay.smtpPort, { to }));
    }
    const senders = [await relay.startSender(), await relay.startSender()];

    const messages = await smartHost.waitForMessages(recipientCounts.length, 30_000);
    await assertAllDeliveredFirstTime(senders, ids);
    const arrivals = messages.map((m) => ({ at: m.receivedAt.getTime(), weight: m.rcptTo.length }));
    assert.equal(
      arrivals.reduce((sum, a) => sum + a.weight, 0),
      recipientCounts.reduce((sum, c) => sum + c, 0),
      smartHost.describe(),
    );
    const first = arrivals[0]?.at ?? 0;
    assert.ok(
      busiestWindow(arrivals, WINDOW_MS) <= 6,
      `arrivals (ms from the first, recipients): ${JSON.stringify(arrivals.map((a) => [a.at - first, a.weight]))}`,
    );
    assert.ok(
      linesOf(senders, 'delivery.waiting').some((l) => l['reason'] === 'recipient-rate'),
      'some deliveries waited for the recipient rate',
    );
  });

  it('a throttling reply pauses the route for every sender: mail waits, then all goes out', async (t) => {
    t.after(stopStack);
    // docs/adr/012: the first pause is 30 s; the smart host throttles for a
    // few seconds, so every attempt admitted before the pause began is refused.
    const FIRST_PAUSE_MS = 30_000;
    const THROTTLING_MS = 5000;
    let firstRefusalAt: number | undefined;
    smartHost.setScript({
      mailFrom: () => {
        const now = Date.now();
        firstRefusalAt ??= now;
        return now - firstRefusalAt < THROTTLING_MS
          ? { code: 451, message: '4.7.0 Rate limit exceeded, slow down' }
          : undefined;
      },
    });
    const relay = await startStack({ SENDER_CONCURRENCY: '3' });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await sendThroughRelay(relay.smtpPort));
    const senders = [await relay.startSender(), await relay.startSender()];

    // Paused, as each sender's gauge and the API (what the senders published) show.
    await waitFor(
      async () =>
        ((await readRouteGauge(senders[0]?.adminPort ?? 0, 'smtp_relay_route_paused_seconds')) ??
          0) > 0,
      { description: 'smtp_relay_route_paused_seconds > 0 on the first sender' },
    );
    await waitFor(
      async () =>
        ((await readRouteGauge(senders[1]?.adminPort ?? 0, 'smtp_relay_route_paused_seconds')) ??
          0) > 0,
      { description: 'smtp_relay_route_paused_seconds > 0 on the second sender' },
    );
    const paused = await waitFor(
      async () =>
        (await readRoutes(relay.ingress.adminPort, TOKEN)).find(
          (route) => route.name === 'default' && route.pausedMs > 0,
        ),
      { description: 'GET /api/v1/routes: default route paused' },
    );
    // The attempts refused together are one throttling episode: no escalation.
    assert.equal(paused.pauses, 1, JSON.stringify(paused));
    assert.ok(paused.pausedMs <= FIRST_PAUSE_MS, JSON.stringify(paused));

    const messages = await smartHost.waitForMessages(ids.length, FIRST_PAUSE_MS + 20_000);
    await assertAllDeliveredFirstTime(senders, ids);
    const throttled = linesOf(senders, 'delivery.throttled');
    assert.ok(throttled.length >= 1, 'delivery.throttled logged');
    assert.deepEqual(new Set(throttled.map((l) => l['category'])), new Set(['throttled']));
    // Nothing got through while the route was paused.
    const refusedAt = firstRefusalAt ?? 0;
    const accepted = smartHost.events.flatMap((e) =>
      e.type === 'mail-from' && e.reply.code === 250 ? [e.at.getTime() - refusedAt] : [],
    );
    assert.equal(accepted.length, ids.length, smartHost.describe());
    assert.ok(
      accepted.every((ms) => ms >= FIRST_PAUSE_MS),
      `accepted MAIL (ms after the first refusal): ${JSON.stringify(accepted)}`,
    );
    assert.equal(messages.length, ids.length);
  });
});
