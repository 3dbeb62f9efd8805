import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MAX_COOLDOWN_MS,
  cooldownAfter,
  createMemoryHostHealthStore,
  hostKey,
} from '../src/failover/host-health-store.ts';

// The pure rules of the cool-down and the memory store with a clock of the test's;
// the contract both stores share is in host-health-store.int.test.ts.

describe('cooldownAfter', () => {
  const rows: readonly [failures: number, base: number, expected: number][] = [
    [1, 30_000, 30_000],
    [2, 30_000, 60_000],
    [3, 30_000, 120_000],
    [5, 30_000, 480_000],
    [6, 30_000, MAX_COOLDOWN_MS],
    [60, 30_000, MAX_COOLDOWN_MS],
    [1, MAX_COOLDOWN_MS, MAX_COOLDOWN_MS],
    [2, 1000, 2000],
  ];
  for (const [failures, base, expected] of rows) {
    it(`failure ${failures} with SMART_HOST_COOLDOWN ${base} ms: ${expected} ms`, () => {
      assert.equal(cooldownAfter(failures, base), expected);
    });
  }
});

describe('hostKey', () => {
  it('is host:port', () => {
    assert.equal(hostKey({ host: 'smtp.example.com', port: 587 }), 'smtp.example.com:587');
  });
  it('brackets an IPv6 literal', () => {
    assert.equal(hostKey({ host: '::1', port: 2525 }), '[::1]:2525');
  });
});

describe('memory host health store', () => {
  function store() {
    const clock = { ms: 1_000_000 };
    return { clock, health: createMemoryHostHealthStore(() => clock.ms) };
  }

  it('caps the cool-down at 10 min while the host keeps failing', async () => {
    const { clock, health } = store();
    const seen: number[] = [];
    for (let i = 0; i < 7; i++) {
      const change = await health.recordFailure('r', 'a:25', 30_000);
      seen.push(change.cooldownMs);
      clock.ms += change.cooldownMs;
    }
    assert.deepEqual(seen, [30_000, 60_000, 120_000, 240_000, 480_000, 600_000, 600_000]);
  });

  it('counts from one again after a quiet spell of 10 min after the cool-down', async () => {
    const { clock, health } = store();
    await health.recordFailure('r', 'a:25', 30_000);
    clock.ms += 30_000 + MAX_COOLDOWN_MS - 1;
    assert.equal((await health.read('r', ['a:25'])).get('a:25')?.failures, 1);
    clock.ms += 1;
    assert.deepEqual((await health.read('r', ['a:25'])).get('a:25'), {
      coolingDownMs: 0,
      failures: 0,
    });
    assert.equal((await health.recordFailure('r', 'a:25', 30_000)).cooldownMs, 30_000);
  });

  it('reports time left, counting down with the clock', async () => {
    const { clock, health } = store();
    await health.recordFailure('r', 'a:25', 30_000);
    clock.ms += 10_000;
    assert.deepEqual((await health.read('r', ['a:25'])).get('a:25'), {
      coolingDownMs: 20_000,
      failures: 1,
    });
  });
});
