import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDeliveryHold, type DeliveryStart, type HoldStore } from '../src/delivery-hold.ts';
import { NOT_HELD, holdTiming } from '../src/systemic-hold.ts';
import { createManualClock } from './fakes/manual-clock.ts';
import { createMemoryHoldStore } from './fakes/memory-hold.ts';

// docs/adr/003: two sender replicas with 10 worker slots each share one hold
// state (in memory here, on a clock moved by hand). Whatever number of slots
// is free when a hold ends, one delivery tries the smart host.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const SCHEDULE = [1, 5, 15].map((m) => m * MINUTE);
// SMTP_CLIENT_TIMEOUT 10 s: a probe's claim lasts 40 s.
const TIMING = holdTiming(SCHEDULE, 10 * SECOND);
const CLAIM = 40 * SECOND;

function replicas(store: HoldStore) {
  return [createDeliveryHold(store, TIMING), createDeliveryHold(store, TIMING)];
}

/** 10 deliveries starting at once on each replica: job ids `<round>-<n>`. */
function startAll(holds: ReturnType<typeof replicas>, round: string): Promise<DeliveryStart[]> {
  return Promise.all(
    Array.from({ length: 20 }, (_, n) => {
      const replica = holds[n % 2];
      assert.ok(replica);
      return replica.begin(`${round}-${String(n)}`);
    }),
  );
}

const kinds = (starts: readonly DeliveryStart[]) =>
  starts.reduce<Record<string, number>>((count, { kind }) => {
    count[kind] = (count[kind] ?? 0) + 1;
    return count;
  }, {});

/** A hold store that counts its reads (what the 250 ms "not held" answer saves). */
function countingReads(store: HoldStore): HoldStore & { readonly reads: number } {
  let reads = 0;
  return {
    read: () => {
      reads++;
      return store.read();
    },
    change: (expected, change) => store.change(expected, change),
    get reads() {
      return reads;
    },
  };
}

function goes(start: DeliveryStart | undefined) {
  assert.ok(start && start.kind !== 'wait', `expected a delivery, got ${JSON.stringify(start)}`);
  return start.hold;
}

describe('delivery hold across replicas', () => {
  it('each hold ends with one probe for all 20 slots, until it gets through', async () => {
    const clock = createManualClock(0);
    const store = createMemoryHoldStore(clock);
    const holds = replicas(store);

    // The wrong password: the 20 deliveries in flight all fail; one hold.
    const first = await startAll(holds, 'a');
    assert.deepEqual(kinds(first), { deliver: 20 });
    const started = await Promise.all(first.map((start) => goes(start).systemic()));
    assert.deepEqual(started.toSorted(), [MINUTE, ...Array<undefined>(19).fill(undefined)]);
    assert.deepEqual(store.holdsSet, [MINUTE]);

    // Each hold end: one probe, 19 wait without an attempt; the probe fails again.
    for (const [round, next] of [
      ['b', 5 * MINUTE],
      ['c', 15 * MINUTE],
      ['d', 15 * MINUTE],
    ] as const) {
      clock.advance(store.holdsSet.at(-1) ?? 0);
      const starts = await startAll(holds, round);
      assert.deepEqual(kinds(starts), { probe: 1, wait: 19 }, `round ${round}`);
      for (const start of starts) {
        if (start.kind === 'wait') assert.ok(start.ms <= SECOND, `waits a poll at most`);
      }
      const probe = starts.find((start) => start.kind === 'probe');
      assert.equal(await goes(probe).systemic(), next);
    }
    assert.deepEqual(
      store.holdsSet,
      [1, 5, 15, 15].map((m) => m * MINUTE),
    );

    // Fixed: the probe gets through, and then every slot delivers.
    clock.advance(15 * MINUTE);
    const fixed = await startAll(holds, 'e');
    const probe = goes(fixed.find((start) => start.kind === 'probe'));
    assert.equal(await probe.through(), true, 'the probe ended the hold');
    assert.deepEqual(await store.read(), NOT_HELD);
    assert.deepEqual(kinds(await startAll(holds, 'f')), { deliver: 20 });
  });

  it('a probe whose sender crashed blocks only until its claim expires', async () => {
    const clock = createManualClock(0);
    const store = createMemoryHoldStore(clock);
    const [a, b] = replicas(store);
    assert.ok(a && b);
    await goes(await a.begin('x')).systemic();
    clock.advance(MINUTE);
    // `crashed` is the probe; its sender dies before the end.
    assert.equal((await a.begin('crashed')).kind, 'probe');
    assert.equal((await b.begin('y')).kind, 'wait');
    clock.advance(CLAIM);
    assert.equal((await b.begin('y')).kind, 'probe');
  });

  it('the crashed probe itself, run again by another sender, probes at once', async () => {
    const clock = createManualClock(0);
    const store = createMemoryHoldStore(clock);
    const [a, b] = replicas(store);
    assert.ok(a && b);
    await goes(await a.begin('x')).systemic();
    clock.advance(MINUTE);
    assert.equal((await a.begin('crashed')).kind, 'probe');
    clock.advance(15 * SECOND);
    assert.equal((await b.begin('crashed')).kind, 'probe');
    assert.equal((await store.read()).probe?.claimMs, CLAIM, 'claimed anew');
  });

  it('a probe without an answer (stopped, no body) lets the next delivery probe', async () => {
    const clock = createManualClock(0);
    const store = createMemoryHoldStore(clock);
    const [a, b] = replicas(store);
    assert.ok(a && b);
    await goes(await a.begin('x')).systemic();
    clock.advance(MINUTE);
    const stopped = goes(await a.begin('stopped'));
    await stopped.finish();
    assert.equal((await b.begin('y')).kind, 'probe');
    assert.deepEqual(store.holdsSet, [MINUTE], 'no hold for an attempt without an answer');
  });

  it('`npx smtp-relay queue resume` in a hold: the next delivery probes at once', async () => {
    const clock = createManualClock(0);
    const store = createMemoryHoldStore(clock);
    const [a] = replicas(store);
    assert.ok(a);
    await goes(await a.begin('x')).systemic();
    assert.equal((await a.begin('y')).kind, 'wait');
    store.resume();
    const probe = goes(await a.begin('y'));
    // Failing again: a new hold, one step longer, not a wait inside the lifted one.
    assert.equal(await probe.systemic(), 5 * MINUTE);
  });

  it('a delivery that is not the probe reads the state once, and not at all at its end', async () => {
    const counted = countingReads(createMemoryHoldStore(createManualClock(0)));
    const hold = goes(await createDeliveryHold(counted, TIMING).begin('x'));
    assert.equal(await hold.through(), false);
    await hold.finish();
    assert.equal(counted.reads, 1);
  });

  // docs/adr/014: "not held" is read once per clearForMs (250 ms).
  it("while nothing is held a replica reads the state once per clearForMs; another's hold reaches it by then, its own at once", async () => {
    const memory = createMemoryHoldStore(createManualClock(0));
    const counted = countingReads(memory);
    // Each replica on its own monotonic clock, moved by hand.
    const times = { a: 0, b: 0 };
    const a = createDeliveryHold(counted, TIMING, () => times.a);
    const b = createDeliveryHold(counted, TIMING, () => times.b);
    assert.equal(TIMING.clearForMs, 250);
    for (let n = 0; n < 10; n++) await goes(await b.begin(`b-${String(n)}`)).through();
    assert.equal(counted.reads, 1);
    times.b = 249;
    goes(await b.begin('b-late'));
    assert.equal(counted.reads, 1);

    // a starts a hold: a sees it at once, b once its view is 250 ms old.
    goes(await a.begin('a-1'));
    assert.equal(await goes(await a.begin('a-2')).systemic(), MINUTE);
    assert.equal((await a.begin('a-3')).kind, 'wait');
    const stale = goes(await b.begin('b-stale'));
    times.b = 250;
    assert.equal((await b.begin('b-after')).kind, 'wait');
    // Failing inside the hold, as a delivery in flight when it began: no second hold.
    assert.equal(await stale.systemic(), undefined);
    assert.deepEqual(memory.holdsSet, [MINUTE]);
  });
});
