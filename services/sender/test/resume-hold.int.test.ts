import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDeliveryQueue, resumeDeliveries, type DeliveryQueue } from '@smtp-relay/queue';
import { connectTestRedis, uniquePrefix, type TestRedisConnection } from '@smtp-relay/testkit';
import { Redis } from 'ioredis';
import { createDeliveryHold } from '../src/delivery-hold.ts';
import { createRedisHoldStore } from '../src/redis-hold-store.ts';
import type { HoldTiming } from '../src/systemic-hold.ts';

// `npx smtp-relay queue resume` (@smtp-relay/queue resumeDeliveries) on the
// holds this sender keeps in Redis, with and without routes: the next delivery
// probes at once, and a probe that fails the same way starts the next, longer
// hold (docs/adr/003).

// Long enough that no hold runs out by itself while a test looks.
const TIMING: HoldTiming = {
  retryDelaysMs: [60_000, 120_000],
  probeClaimMs: 60_000,
  probePollMs: 100,
  clearForMs: 250,
};

describe('`queue resume` ends the hold the sender keeps in Redis', () => {
  let redis: TestRedisConnection<Redis>;
  let queue: DeliveryQueue;
  const prefix = uniquePrefix('resume-hold');

  before(async () => {
    redis = await connectTestRedis(prefix, (url) => new Redis(url));
    queue = createDeliveryQueue({ connection: redis.connection, prefix });
  });

  after(async () => {
    await queue.close();
    await redis.close();
  });

  for (const route of [undefined, 'sales']) {
    it(`${route === undefined ? 'without routes' : `route ${route}`}: the next delivery probes, a failing probe holds longer`, async () => {
      const store = createRedisHoldStore({
        redis: redis.connection,
        prefix,
        route,
        limiterKey: queue.toKey('limiter'),
      });
      const hold = createDeliveryHold(store, TIMING);
      const first = await hold.begin('a');
      assert.ok(first.kind === 'deliver');
      assert.equal(await first.hold.systemic(), 60_000);
      assert.equal((await hold.begin('b')).kind, 'wait', 'held');

      const resumed = await resumeDeliveries({ queue, redis: redis.connection, prefix });
      assert.deepEqual(resumed, {
        queueHold: route === undefined,
        routes: route === undefined ? [] : [route],
        promoted: 0,
      });
      const state = await store.read();
      assert.deepEqual(
        { ...state, holdingMs: state.holdingMs > 0 },
        {
          holds: 1,
          holdingMs: false,
          probe: undefined,
          pausedMs: 0,
        },
      );

      const probe = await hold.begin('b');
      assert.ok(probe.kind === 'probe', probe.kind);
      assert.equal((await hold.begin('c')).kind, 'wait', 'one probe');
      assert.equal(await probe.hold.systemic(), 120_000, 'the second hold of the row');
      assert.equal((await store.read()).holds, 2);
      await store.change(await store.read(), { kind: 'clear' });
    });
  }
});
