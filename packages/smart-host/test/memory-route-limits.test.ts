import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SendingRate } from '@smtp-relay/config';
import {
  createMemoryRouteLimits,
  type RouteAdmission,
  type RouteLease,
  type RouteLimits,
  type RouteLimitTuning,
} from '../src/route-limits/index.ts';

// The route limits' decisions step by step on a hand-stepped clock. The Redis
// scripts make the same decisions: route-limits.int.test.ts runs them there.

interface Harness {
  readonly limits: RouteLimits;
  advance(ms: number): void;
  go(recipients?: number): Promise<RouteLease>;
  admit(recipients?: number): Promise<RouteAdmission>;
}

function harness(
  rate: SendingRate | undefined,
  recipientRate?: SendingRate,
  tuning: Partial<RouteLimitTuning> = {},
): Harness {
  let time = 1_000_000;
  let jobs = 0;
  const limits = createMemoryRouteLimits({
    route: 'sales',
    rate,
    recipientRate,
    tuning,
    now: () => time,
  });
  const admit = (recipients = 1): Promise<RouteAdmission> =>
    limits.admit(`job-${String(++jobs)}`, recipients);
  return {
    limits,
    advance(ms) {
      time += ms;
    },
    admit,
    async go(recipients = 1) {
      const admission = await admit(recipients);
      assert.equal(admission.kind, 'go', JSON.stringify(admission));
      return admission.lease;
    },
  };
}

const waitOf = (admission: RouteAdmission): { ms: number; reason: string } => {
  assert.equal(admission.kind, 'wait');
  const { ms, reason } = admission;
  return { ms, reason };
};

describe('memory route limits: rate', () => {
  it('admits the limit, then makes the next wait until the oldest leaves the window', async () => {
    const h = harness({ count: 5, perMs: 3000 });
    const leases = [];
    for (let i = 0; i < 5; i++) leases.push(await h.go());
    h.advance(100);
    for (const lease of leases) await lease.end('ok');
    // Ended at +100: they count until +3100, 3000 ms from now.
    assert.deepEqual(waitOf(await h.admit()), { ms: 3000, reason: 'rate' });
    assert.equal((await h.limits.read()).sentInWindow, 5);
    h.advance(3000);
    await h.go();
  });

  it('counts an attempt from admit until its end, then one window more', async () => {
    const h = harness({ count: 1, perMs: 1000 });
    const lease = await h.go();
    h.advance(10_000);
    // Still in flight: it could reach the smart host now, so it still counts.
    assert.deepEqual(waitOf(await h.admit()), { ms: 1000, reason: 'rate' });
    await lease.end('ok');
    h.advance(999);
    assert.equal((await h.admit()).kind, 'wait');
    h.advance(1);
    await h.go();
  });

  it('gives waiting jobs turns one slot apart instead of one wake-up for all', async () => {
    const h = harness({ count: 5, perMs: 3000 });
    for (let i = 0; i < 5; i++) await (await h.go()).end('ok');
    const waits = [];
    for (let i = 0; i < 4; i++) waits.push(waitOf(await h.admit()).ms);
    assert.deepEqual(waits, [3000, 3600, 4200, 4800]);
  });

  it('does not count a connection the smart host refused at the greeting', async () => {
    const h = harness({ count: 1, perMs: 60_000 });
    await (await h.go()).end('too-many-connections');
    assert.equal((await h.limits.read()).sentInWindow, 0);
    await h.go();
  });

  it('ends a lease once, however often end is called', async () => {
    const h = harness({ count: 2, perMs: 60_000 }, undefined, { pauseBaseMs: 1000 });
    const lease = await h.go();
    await lease.end('ok');
    await lease.end('throttled');
    const state = await h.limits.read();
    assert.equal(state.sentInWindow, 1);
    assert.equal(state.pausedMs, 0);
  });

  it('shows nothing in the windows of limits that are not set', async () => {
    const h = harness(undefined);
    for (let i = 0; i < 50; i++) await h.go();
    assert.deepEqual(await h.limits.read(), {
      pausedMs: 0,
      pauses: 0,
      connectionLimit: undefined,
      inFlight: 50,
      sentInWindow: 0,
      recipientsInWindow: 0,
    });
  });
});

describe('memory route limits: recipient rate', () => {
  it('counts recipients, and waits until enough of them leave the window', async () => {
    const h = harness(undefined, { count: 10, perMs: 60_000 });
    await (await h.go(4)).end('ok');
    h.advance(1000);
    await (await h.go(4)).end('ok');
    h.advance(1000);
    // 8 in the window: 3 more need the first 4 gone (at +60 000 from the first end).
    assert.deepEqual(waitOf(await h.admit(3)), { ms: 58_000, reason: 'recipient-rate' });
    assert.equal((await h.limits.read()).recipientsInWindow, 8);
    await (await h.go(2)).end('ok');
  });

  it('lets a message with more recipients than the limit go when the window is empty', async () => {
    const h = harness(undefined, { count: 10, perMs: 60_000 });
    await (await h.go(50)).end('ok');
    assert.equal((await h.limits.read()).recipientsInWindow, 50);
    assert.equal(waitOf(await h.admit(1)).reason, 'recipient-rate');
    h.advance(60_000);
    await h.go(50);
  });
});

describe('memory route limits: throttling pauses the route with growing backoff', () => {
  it('pauses 30 s, doubles for a throttled attempt made after the pause, an ok resets', async () => {
    const h = harness(undefined);
    const first = await h.go();
    const inFlightMeanwhile = await h.go();
    await first.end('throttled');
    assert.deepEqual(waitOf(await h.admit()), { ms: 30_000, reason: 'paused' });
    // Same episode: it was in flight when the pause began.
    await inFlightMeanwhile.end('throttled');
    assert.deepEqual(await h.limits.read().then((s) => [s.pauses, s.pausedMs]), [1, 30_000]);

    h.advance(30_000);
    await (await h.go()).end('throttled');
    assert.deepEqual(await h.limits.read().then((s) => [s.pauses, s.pausedMs]), [2, 60_000]);
    h.advance(60_000);
    await (await h.go()).end('throttled');
    assert.equal((await h.limits.read()).pausedMs, 120_000);

    h.advance(120_000);
    await (await h.go()).end('ok');
    h.advance(1);
    await (await h.go()).end('throttled');
    assert.deepEqual(await h.limits.read().then((s) => [s.pauses, s.pausedMs]), [1, 30_000]);
  });

  it('never pauses longer than 15 minutes', async () => {
    const h = harness(undefined);
    for (let i = 0; i < 8; i++) {
      await (await h.go()).end('throttled');
      h.advance((await h.limits.read()).pausedMs);
    }
    await (await h.go()).end('throttled');
    assert.deepEqual(await h.limits.read().then((s) => [s.pauses, s.pausedMs]), [9, 900_000]);
  });

  it('pauses again, without escalating, for a late reply of an earlier episode', async () => {
    const h = harness(undefined);
    const late = await h.go();
    await (await h.go()).end('throttled');
    h.advance(30_000);
    await late.end('throttled');
    assert.deepEqual(await h.limits.read().then((s) => [s.pauses, s.pausedMs]), [1, 30_000]);
  });

  it('spreads the jobs waiting for the pause to end one slot of the rate apart', async () => {
    const h = harness({ count: 2, perMs: 1000 });
    await (await h.go()).end('throttled');
    const waits = [];
    for (let i = 0; i < 3; i++) waits.push(waitOf(await h.admit()).ms);
    assert.deepEqual(waits, [30_000, 30_500, 31_000]);
  });
});

describe('memory route limits: a refused connection lowers the connection limit', () => {
  it('lowers to one fewer than were open, makes the rest wait, lifts after a run of oks', async () => {
    const h = harness(undefined);
    const leases = [];
    for (let i = 0; i < 5; i++) leases.push(await h.go());
    await leases[0]?.end('too-many-connections');
    assert.deepEqual(await h.limits.read().then((s) => [s.connectionLimit, s.inFlight]), [4, 4]);
    assert.deepEqual(waitOf(await h.admit()), { ms: 1000, reason: 'connections' });
    assert.deepEqual(waitOf(await h.admit()), { ms: 1100, reason: 'connections' });
    await leases[1]?.end('ok');
    const more = [await h.go()];
    for (let i = 0; i < 18; i++) {
      await more.pop()?.end('ok');
      more.push(await h.go());
    }
    assert.equal((await h.limits.read()).connectionLimit, 4);
    await more.pop()?.end('ok');
    // 20 oks: one step up reaches the level that was refused, so the limit is lifted.
    assert.equal((await h.limits.read()).connectionLimit, undefined);
  });

  it('follows refusals down, then climbs a step a minute back to where it was refused', async () => {
    const h = harness(undefined);
    const leases = [];
    for (let i = 0; i < 5; i++) leases.push(await h.go());
    for (const lease of leases.slice(0, 3)) await lease.end('too-many-connections');
    // Two stayed open: that is what the smart host takes.
    assert.equal((await h.limits.read()).connectionLimit, 2);
    h.advance(60_000);
    assert.equal((await h.limits.read()).connectionLimit, 3);
    h.advance(60_000);
    assert.equal((await h.limits.read()).connectionLimit, 4);
    h.advance(60_000);
    assert.equal((await h.limits.read()).connectionLimit, undefined);
  });
});

describe('memory route limits: leases of crashed replicas', () => {
  it('stop counting as in flight after leaseMaxMs and count as ended then', async () => {
    const h = harness({ count: 1, perMs: 60_000 });
    const crashed = await h.go();
    h.advance(10 * 60_000);
    assert.deepEqual(await h.limits.read().then((s) => [s.inFlight, s.sentInWindow]), [0, 1]);
    assert.deepEqual(waitOf(await h.admit()), { ms: 60_000, reason: 'rate' });
    h.advance(60_000);
    assert.equal((await h.limits.read()).sentInWindow, 0);
    // The replica was only slow: its attempt may reach the smart host now, so it counts from now.
    await crashed.end('ok');
    assert.equal((await h.limits.read()).sentInWindow, 1);
  });
});
