import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { SendingRate } from '@smtp-relay/config';
import {
  connectTestRedis,
  uniquePrefix,
  waitFor,
  type TestRedisConnection,
} from '@smtp-relay/testkit';
import { Redis } from 'ioredis';
import {
  createMemoryRouteLimits,
  createRedisRouteLimits,
  routeLimitKeys,
  type RouteAdmission,
  type RouteLease,
  type RouteLimits,
  type RouteLimitTuning,
} from '../src/route-limits/index.ts';

// One contract, two implementations: the Redis limits every sender replica
// shares (two objects on two connections stand for two replicas) and the
// in-memory ones (one object, shared). Real time: the Redis scripts read TIME.

const prefix = uniquePrefix('route-limits');
let test: TestRedisConnection<Redis>;
let second: Redis;
before(async () => {
  test = await connectTestRedis(prefix, (url) => new Redis(url));
  second = new Redis(test.url);
});
after(async () => {
  second.disconnect();
  await test.close();
});

interface LimitsOptions {
  readonly rate?: SendingRate;
  readonly recipientRate?: SendingRate;
  readonly tuning?: Partial<RouteLimitTuning>;
}

let routes = 0;
const IMPLEMENTATIONS: readonly (readonly [
  string,
  (options: LimitsOptions) => readonly [RouteLimits, RouteLimits],
])[] = [
  [
    'redis',
    (options) => {
      const route = `route-${String(++routes)}`;
      const replica = (redis: Redis): RouteLimits =>
        createRedisRouteLimits({
          redis,
          prefix,
          route,
          rate: options.rate,
          recipientRate: options.recipientRate,
          tuning: options.tuning ?? {},
          // Every admit reads the state: the contract is the exact one. What a
          // replica's short view of a quiet route changes: below.
          quietForMs: 0,
        });
      return [replica(test.connection), replica(second)];
    },
  ],
  [
    'memory',
    (options) => {
      const limits = createMemoryRouteLimits({
        route: 'sales',
        rate: options.rate,
        recipientRate: options.recipientRate,
        tuning: options.tuning ?? {},
      });
      return [limits, limits];
    },
  ],
];

const goLease = (admission: RouteAdmission): RouteLease => {
  assert.equal(admission.kind, 'go', JSON.stringify(admission));
  return admission.lease;
};
const waitOf = (admission: RouteAdmission): Extract<RouteAdmission, { kind: 'wait' }> => {
  assert.equal(admission.kind, 'wait');
  return admission;
};

/**
 * The most attempts that could have reached the smart host within one window:
 * an attempt arrives some time between its admit and its end, so a set of them
 * fits in a window when the latest admit comes less than a window after the
 * earliest end.
 */
function mostInAnyWindow(
  attempts: readonly { admittedAt: number; endedAt: number }[],
  windowMs: number,
): number {
  return Math.max(
    ...attempts.map(
      (latest) =>
        attempts.filter(
          (other) =>
            other.admittedAt <= latest.admittedAt && other.endedAt > latest.admittedAt - windowMs,
        ).length,
    ),
  );
}

// Each test has its own route (or memory limits): they run side by side.
describe('route limits contract', { concurrency: true }, () => {
  for (const [name, replicas] of IMPLEMENTATIONS) {
    describe(name, { concurrency: true }, () => {
      it('keeps 15 messages from two replicas at rate 5/3s to at most 5 in any 3 s window', async () => {
        const rate = { count: 5, perMs: 3000 };
        const pair = replicas({ rate });
        const attempts: { admittedAt: number; endedAt: number }[] = [];
        const reasons = new Set<string>();
        await Promise.all(
          Array.from({ length: 15 }, async (_, index) => {
            const limits = pair[index % 2] ?? assert.fail();
            for (;;) {
              const admission = await limits.admit(`job-${String(index)}`, 1);
              if (admission.kind === 'wait') {
                reasons.add(admission.reason);
                await delay(admission.ms);
                continue;
              }
              // The attempt: it reaches the smart host some time in here.
              const admittedAt = Date.now();
              await delay(20);
              attempts.push({ admittedAt, endedAt: Date.now() });
              await admission.lease.end('ok');
              return;
            }
          }),
        );
        assert.equal(attempts.length, 15);
        assert.deepEqual([...reasons], ['rate']);
        assert.ok(mostInAnyWindow(attempts, rate.perMs) <= rate.count);
      });

      it('gives waiting jobs of both replicas different turns', async () => {
        const [a, b] = replicas({ rate: { count: 2, perMs: 1000 } });
        await goLease(await a.admit('j1', 1)).end('ok');
        await goLease(await b.admit('j2', 1)).end('ok');
        const waits = [];
        for (const limits of [a, b, a, b]) waits.push(waitOf(await limits.admit('j3', 1)));
        assert.ok(waits.every((wait) => wait.reason === 'rate'));
        const ms = waits.map((wait) => wait.ms);
        assert.ok(
          ms.every((value, index) => index === 0 || value > (ms[index - 1] ?? 0)),
          ms.join(' '),
        );
      });

      it('counts recipients across replicas', async () => {
        const [a, b] = replicas({ recipientRate: { count: 10, perMs: 60_000 } });
        await goLease(await a.admit('j1', 4)).end('ok');
        const inFlight = goLease(await b.admit('j2', 4));
        assert.equal(waitOf(await a.admit('j3', 3)).reason, 'recipient-rate');
        assert.equal((await b.read()).recipientsInWindow, 8);
        await inFlight.end('ok');
        goLease(await b.admit('j4', 2));
      });

      it('pauses both replicas on a throttling reply, doubles the backoff, resets on ok', async () => {
        const [a, b] = replicas({ tuning: { pauseBaseMs: 500 } });
        const first = goLease(await a.admit('j1', 1));
        const meanwhile = goLease(await b.admit('j2', 1));
        await first.end('throttled');
        const paused = waitOf(await b.admit('j3', 1));
        assert.equal(paused.reason, 'paused');
        assert.ok(paused.ms <= 500, String(paused.ms));
        await meanwhile.end('throttled');
        assert.equal((await a.read()).pauses, 1);

        await waitFor(async () => (await a.read()).pausedMs === 0, { description: 'pause over' });
        await goLease(await b.admit('j4', 1)).end('throttled');
        const doubled = await a.read();
        assert.equal(doubled.pauses, 2);
        assert.ok(doubled.pausedMs > 500 && doubled.pausedMs <= 1000, String(doubled.pausedMs));

        await waitFor(async () => (await b.read()).pausedMs === 0, { description: 'pause over' });
        await goLease(await a.admit('j5', 1)).end('ok');
        assert.equal((await b.read()).pauses, 0);
      });

      it('lowers the connection limit of both replicas on a refused connection and lifts it', async () => {
        const [a, b] = replicas({ tuning: { raiseAfterOks: 3 } });
        const leases = [];
        for (const limits of [a, a, a, b, b]) leases.push(goLease(await limits.admit('j', 1)));
        await leases[4]?.end('too-many-connections');
        assert.deepEqual(await a.read().then((s) => [s.connectionLimit, s.inFlight]), [4, 4]);
        assert.equal(waitOf(await b.admit('j6', 1)).reason, 'connections');
        await leases[0]?.end('ok');
        await goLease(await b.admit('j7', 1)).end('ok');
        assert.equal((await b.read()).connectionLimit, 4);
        await leases[1]?.end('ok');
        // Three oks: one step up reaches the refused level, so the limit is lifted.
        assert.equal((await a.read()).connectionLimit, undefined);
      });

      it("stops counting a crashed replica's lease as in flight after leaseMaxMs", async () => {
        const [a, b] = replicas({ rate: { count: 1, perMs: 60_000 }, tuning: { leaseMaxMs: 300 } });
        goLease(await a.admit('crashed', 1));
        assert.equal((await b.read()).inFlight, 1);
        await waitFor(async () => (await b.read()).inFlight === 0, {
          description: 'the lease expired',
        });
        // Counted as ended when it expired: the window still holds it.
        assert.equal((await b.read()).sentInWindow, 1);
        assert.equal(waitOf(await b.admit('next', 1)).reason, 'rate');
      });
    });
  }
});

describe('redis route limits', () => {
  it('keeps its keys under the prefix, each with an expiry', async () => {
    const route = 'expiry';
    const limits = createRedisRouteLimits({
      redis: test.connection,
      prefix,
      route,
      rate: { count: 5, perMs: 3000 },
      recipientRate: { count: 100, perMs: 86_400_000 },
    });
    await goLease(await limits.admit('j1', 3)).end('ok');
    goLease(await limits.admit('j2', 1));
    const keys = routeLimitKeys(prefix, route);
    for (const key of [keys.state, keys.messages, keys.recipients, keys.leases]) {
      assert.ok((await test.connection.pttl(key)) > 0, key);
    }
    assert.deepEqual(await limits.read(), {
      pausedMs: 0,
      pauses: 0,
      connectionLimit: undefined,
      inFlight: 1,
      sentInWindow: 2,
      recipientsInWindow: 4,
    });
  });
});

// docs/adr/014: a route without rates that a replica saw quiet is taken to be
// so for quietForMs; meanwhile its attempts run no script.
describe('redis route limits: a quiet route without rates', () => {
  /** A replica on its own connection, counting the scripts it runs, on a clock moved by hand. */
  function quietReplica(t: TestContext, route: string, tuning: Partial<RouteLimitTuning> = {}) {
    const redis = new Redis(test.url);
    t.after(() => {
      redis.disconnect();
    });
    let scripts = 0;
    const evalsha = redis.evalsha.bind(redis);
    redis.evalsha = ((...args: Parameters<typeof evalsha>) => {
      scripts++;
      return evalsha(...args);
    }) as typeof redis.evalsha;
    const clock = { now: 0 };
    const limits = createRedisRouteLimits({
      redis,
      prefix,
      route,
      rate: undefined,
      recipientRate: undefined,
      tuning,
      quietForMs: 1000,
      monotonicNow: () => clock.now,
    });
    return { limits, clock, scripts: () => scripts };
  }

  it('runs one script per quietForMs, and its leases count as in flight for a refused connection', async (t) => {
    const route = 'quiet-leases';
    const b = quietReplica(t, route);
    await goLease(await b.limits.admit('first', 1)).end('ok');
    const open: RouteLease[] = [];
    for (let i = 0; i < 10; i++) await goLease(await b.limits.admit(`j${String(i)}`, 1)).end('ok');
    for (let i = 0; i < 3; i++) open.push(goLease(await b.limits.admit(`open${String(i)}`, 2)));
    assert.equal(b.scripts(), 1);
    b.clock.now = 1000;
    await goLease(await b.limits.admit('next', 1)).end('other');
    assert.equal(b.scripts(), 2);

    // Another replica's refused connection: 4 in flight, the 3 of b's included.
    const a = quietReplica(t, route);
    await goLease(await a.limits.admit('refused', 1)).end('too-many-connections');
    assert.deepEqual(await a.limits.read().then((s) => [s.connectionLimit, s.inFlight]), [3, 3]);
    await Promise.all(open.map((lease) => lease.end('ok')));
    assert.equal((await a.limits.read()).inFlight, 0);
  });

  it("another replica's pause reaches it within quietForMs; a throttled attempt admitted meanwhile does not double it", async (t) => {
    const route = 'quiet-pause';
    const tuning = { pauseBaseMs: 60_000 };
    const a = quietReplica(t, route, tuning);
    const b = quietReplica(t, route, tuning);
    await goLease(await b.limits.admit('seen-quiet', 1)).end('ok');
    await goLease(await a.limits.admit('throttled', 1)).end('throttled');
    // a sees its own pause at once.
    assert.equal(waitOf(await a.limits.admit('after', 1)).reason, 'paused');
    // b still takes the route for quiet: the attempt goes, as one in flight would.
    const late = goLease(await b.limits.admit('late', 1));
    b.clock.now = 1000;
    assert.equal(waitOf(await b.limits.admit('later', 1)).reason, 'paused');
    await late.end('throttled');
    const state = await a.limits.read();
    assert.equal(state.pauses, 1);
    assert.ok(state.pausedMs > 50_000, String(state.pausedMs));
  });

  it("a lease taken without a script expires after leaseMaxMs as the script's do", async (t) => {
    const b = quietReplica(t, 'quiet-expiry', { leaseMaxMs: 300 });
    await goLease(await b.limits.admit('seen-quiet', 1)).end('ok');
    goLease(await b.limits.admit('crashed', 1));
    assert.equal(b.scripts(), 1);
    assert.equal((await b.limits.read()).inFlight, 1);
    await waitFor(async () => (await b.limits.read()).inFlight === 0, {
      description: 'the lease expired',
    });
    const keys = routeLimitKeys(prefix, 'quiet-expiry');
    assert.ok((await test.connection.pttl(keys.leases)) !== -1, 'the leases key expires');
  });
});
