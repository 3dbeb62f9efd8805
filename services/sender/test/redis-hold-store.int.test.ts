import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDeliveryQueue, type DeliveryQueue } from '@smtp-relay/queue';
import {
  connectTestRedis,
  uniquePrefix,
  waitFor,
  type TestRedisConnection,
} from '@smtp-relay/testkit';
import { Redis } from 'ioredis';
import { createDeliveryHold, type DeliveryStart } from '../src/delivery-hold.ts';
import { WORKER_LIMITER, createRedisHoldStore } from '../src/redis-hold-store.ts';
import { NOT_HELD, type HoldTiming } from '../src/systemic-hold.ts';

// The hold state every sender replica shares, in a real Redis, next to a real
// BullMQ queue whose rate limit key is the hold the workers obey (docs/adr/003).

// Short enough to watch expire.
const TIMING: HoldTiming = {
  retryDelaysMs: [300, 600],
  probeClaimMs: 400,
  probePollMs: 100,
  clearForMs: 250,
};

describe('systemic hold in Redis', () => {
  let redis: TestRedisConnection<Redis>;
  let other: Redis;
  let queue: DeliveryQueue;
  const prefix = uniquePrefix('hold');

  before(async () => {
    redis = await connectTestRedis(prefix, (url) => new Redis(url));
    other = new Redis(redis.url);
    queue = createDeliveryQueue({ connection: redis.connection, prefix });
  });

  after(async () => {
    await queue.close();
    other.disconnect();
    await redis.close();
  });

  /** A replica's store: its own connection, the queue's rate limit key. */
  const storeOn = (connection: Redis) =>
    createRedisHoldStore({ redis: connection, prefix, limiterKey: queue.toKey('limiter') });

  async function notHeldAnyMore(): Promise<void> {
    const store = storeOn(redis.connection);
    await waitFor(async () => (await store.read()).pausedMs === 0, {
      description: 'the hold to run out',
    });
  }

  it('a hold is the queue rate limit BullMQ obeys; `queue resume` lifts it', async () => {
    const store = storeOn(redis.connection);
    assert.deepEqual(await store.read(), NOT_HELD);
    assert.equal(await store.change(NOT_HELD, { kind: 'hold', holds: 1, ms: 60_000 }), true);
    const ttl = await queue.getRateLimitTtl(WORKER_LIMITER.max);
    assert.ok(ttl > 0 && ttl <= 60_000, `BullMQ sees the hold: ${String(ttl)} ms`);
    const heldState = await store.read();
    assert.equal(heldState.holds, 1);
    assert.ok(heldState.holdingMs > 0 && heldState.pausedMs > 0);
    // Decided on a state that has moved on: nothing happens.
    assert.equal(await store.change(NOT_HELD, { kind: 'hold', holds: 1, ms: 60_000 }), false);

    await queue.removeRateLimitKey();
    const resumed = await store.read();
    assert.equal(resumed.pausedMs, 0);
    assert.equal(resumed.holds, 1, 'the next delivery is the probe');
    assert.equal(await store.change(resumed, { kind: 'clear' }), true);
    assert.deepEqual(await store.read(), NOT_HELD);
  });

  it("BullMQ's own counting in the rate limit key is not a hold", async () => {
    await redis.connection.set(queue.toKey('limiter'), '7', 'PX', 1000);
    assert.equal((await storeOn(redis.connection).read()).pausedMs, 0);
    await redis.connection.del(queue.toKey('limiter'));
  });

  it('two replicas, 20 slots: the hold ends with one probe, whose success ends it', async () => {
    const holds = [
      createDeliveryHold(storeOn(redis.connection), TIMING),
      createDeliveryHold(storeOn(other), TIMING),
    ];
    const startAll = (round: string): Promise<DeliveryStart[]> =>
      Promise.all(
        Array.from({ length: 20 }, (_, n) => {
          const replica = holds[n % 2];
          assert.ok(replica);
          return replica.begin(`${round}-${String(n)}`);
        }),
      );
    const inFlight = await startAll('a');
    const holdsStarted = await Promise.all(
      inFlight.map((start) => {
        assert.ok(start.kind === 'deliver');
        return start.hold.systemic();
      }),
    );
    assert.deepEqual(holdsStarted.toSorted(), [300, ...Array<undefined>(19).fill(undefined)]);

    await notHeldAnyMore();
    const starts = await startAll('b');
    const probes = starts.filter((start) => start.kind === 'probe');
    assert.equal(probes.length, 1, JSON.stringify(starts.map((s) => s.kind)));
    assert.equal(starts.filter((start) => start.kind === 'wait').length, 19);
    const probe = probes[0];
    assert.ok(probe?.kind === 'probe');
    assert.equal(await probe.hold.through(), true);
    assert.deepEqual(await storeOn(redis.connection).read(), NOT_HELD);
    assert.equal(await redis.connection.exists(queue.toKey('limiter')), 0, 'workers resume');
  });

  it("a crashed probe's claim expires: then the next delivery probes", async () => {
    const hold = createDeliveryHold(storeOn(redis.connection), TIMING);
    const first = await hold.begin('x');
    assert.ok(first.kind === 'deliver');
    assert.equal(await first.hold.systemic(), 300);
    await notHeldAnyMore();
    assert.equal((await hold.begin('crashed')).kind, 'probe');
    assert.equal((await hold.begin('y')).kind, 'wait');
    const store = storeOn(redis.connection);
    await waitFor(async () => (await store.read()).probe === undefined, {
      description: 'the claim to expire',
    });
    await notHeldAnyMore();
    const next = await hold.begin('y');
    assert.equal(next.kind, 'probe');
    // It fails too: the second hold of the row.
    assert.equal(await next.hold.systemic(), 600);
  });
});

describe('systemic holds per route in Redis (SMART_HOST_ROUTES_FILE)', () => {
  let redis: TestRedisConnection<Redis>;
  let queue: DeliveryQueue;
  const prefix = uniquePrefix('route-hold');
  // Long enough that nothing expires while a test looks.
  const LONG: HoldTiming = {
    retryDelaysMs: [60_000],
    probeClaimMs: 60_000,
    probePollMs: 100,
    clearForMs: 250,
  };

  before(async () => {
    redis = await connectTestRedis(prefix, (url) => new Redis(url));
    queue = createDeliveryQueue({ connection: redis.connection, prefix });
  });

  after(async () => {
    await queue.close();
    await redis.close();
  });

  /** A route's hold (undefined: the one route, holding the whole queue). */
  const storeOf = (route: string | undefined) =>
    createRedisHoldStore({
      redis: redis.connection,
      prefix,
      route,
      limiterKey: queue.toKey('limiter'),
    });

  it('holding route a leaves route b, the route-less hold and the queue alone', async () => {
    const a = createDeliveryHold(storeOf('a'), LONG);
    const b = createDeliveryHold(storeOf('b'), LONG);
    const started = await a.begin('a-1');
    assert.ok(started.kind === 'deliver');
    assert.equal(await started.hold.systemic(), 60_000);

    assert.equal((await a.begin('a-2')).kind, 'wait', 'route a is held');
    const onB = await b.begin('b-1');
    assert.ok(onB.kind === 'deliver', 'route b is not');
    await onB.hold.finish();
    assert.deepEqual(await storeOf('b').read(), NOT_HELD);
    assert.deepEqual(await storeOf(undefined).read(), NOT_HELD);
    assert.equal(await redis.connection.exists(queue.toKey('limiter')), 0, 'workers not paused');
    const held = await storeOf('a').read();
    assert.equal(held.holds, 1);
    assert.ok(held.holdingMs > 0 && held.pausedMs > 0, JSON.stringify(held));

    assert.equal(await storeOf('a').change(held, { kind: 'clear' }), true);
    assert.deepEqual(await storeOf('a').read(), NOT_HELD);
  });

  it('the route-less hold is still the queue rate limit, and holds no route', async () => {
    const store = storeOf(undefined);
    assert.equal(await store.change(NOT_HELD, { kind: 'hold', holds: 1, ms: 60_000 }), true);
    const ttl = await queue.getRateLimitTtl(WORKER_LIMITER.max);
    assert.ok(ttl > 0 && ttl <= 60_000, `BullMQ sees the hold: ${String(ttl)} ms`);
    assert.deepEqual(await storeOf('a').read(), NOT_HELD);
    // `npx smtp-relay queue resume` lifts it as before routes existed.
    await queue.removeRateLimitKey();
    assert.equal((await store.read()).pausedMs, 0);
    assert.equal(await store.change(await store.read(), { kind: 'clear' }), true);
  });
});
