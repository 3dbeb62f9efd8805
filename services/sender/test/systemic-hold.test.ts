import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSystemicHold, MAX_SYSTEMIC_HOLD_MS } from '../src/systemic-hold.ts';

const MINUTE = 60_000;
const SCHEDULE = [1, 5, 15, 30, 60, 120, 240].map((m) => m * MINUTE);

describe('systemic hold', () => {
  it('grows once per hold, not once per job failing inside it', () => {
    const hold = createSystemicHold(SCHEDULE);
    // Ten deliveries in flight fail together at t=0.
    const holds = Array.from({ length: 10 }, (_, i) => hold.onFailure(i));
    assert.deepEqual(holds, [MINUTE, ...Array<undefined>(9).fill(undefined)]);
    // The first probe after the hold fails: the next hold is longer.
    assert.equal(hold.onFailure(MINUTE), 5 * MINUTE);
    assert.equal(hold.onFailure(MINUTE + 1), undefined);
  });

  it('is capped so that a fixed setting is picked up within minutes', () => {
    const hold = createSystemicHold(SCHEDULE);
    let now = 0;
    const holds: (number | undefined)[] = [];
    for (let i = 0; i < 8; i++) {
      const ms = hold.onFailure(now);
      holds.push(ms);
      now += ms ?? 0;
    }
    assert.deepEqual(
      holds,
      [1, 5, 15, 15, 15, 15, 15, 15].map((m) => m * MINUTE),
    );
    assert.equal(MAX_SYSTEMIC_HOLD_MS, 15 * MINUTE);
  });

  it('starts over after a success', () => {
    const hold = createSystemicHold(SCHEDULE);
    hold.onFailure(0);
    hold.onFailure(MINUTE);
    hold.onSuccess();
    assert.equal(hold.onFailure(MINUTE + 1), MINUTE);
  });
});
