import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isAfterLatestPause,
  leaseMember,
  leaseWeight,
  loweredConnectionLimit,
  pauseMs,
  raisedConnectionLimit,
  recipientsNeeded,
  slotMs,
} from '../src/route-limits/route-limit-rules.ts';
import { ROUTE_LIMIT_TUNING } from '../src/route-limits/index.ts';

describe('pauseMs: 30 s doubling per throttling reply in a row, at most 15 min', () => {
  const rows: readonly (readonly [pauses: number, ms: number])[] = [
    [0, 30_000],
    [1, 30_000],
    [2, 60_000],
    [3, 120_000],
    [5, 480_000],
    [6, 900_000],
    [12, 900_000],
  ];
  for (const [pauses, ms] of rows) {
    it(`${String(pauses)} -> ${String(ms)} ms`, () => {
      assert.equal(pauseMs(pauses, ROUTE_LIMIT_TUNING), ms);
    });
  }
});

describe('isAfterLatestPause: only attempts made after the latest pause escalate or reset', () => {
  const rows: readonly (readonly [
    admittedAt: number,
    pausedAt: number | undefined,
    after: boolean,
  ])[] = [
    [1000, undefined, true],
    [1000, 999, true],
    [1000, 1000, false],
    [1000, 5000, false],
  ];
  for (const [admittedAt, pausedAt, after] of rows) {
    it(`admitted ${String(admittedAt)}, paused ${String(pausedAt)} -> ${String(after)}`, () => {
      assert.equal(isAfterLatestPause(admittedAt, pausedAt), after);
    });
  }
});

describe('loweredConnectionLimit: one fewer than were open, never higher than before, at least 1', () => {
  const rows: readonly (readonly [
    inFlight: number,
    current: number | undefined,
    lowered: number,
  ])[] = [
    [5, undefined, 4],
    [2, undefined, 1],
    [1, undefined, 1],
    [5, 3, 3],
    [3, 5, 2],
  ];
  for (const [inFlight, current, lowered] of rows) {
    it(`${String(inFlight)} open, limit ${String(current)} -> ${String(lowered)}`, () => {
      assert.equal(loweredConnectionLimit(inFlight, current), lowered);
    });
  }
});

describe('raisedConnectionLimit: one step up, lifted once it reaches the refused level', () => {
  const rows: readonly (readonly [limit: number, cappedAt: number, raised: number | undefined])[] =
    [
      [2, 5, 3],
      [3, 5, 4],
      [4, 5, undefined],
      [1, 1, undefined],
    ];
  for (const [limit, cappedAt, raised] of rows) {
    it(`limit ${String(limit)}, refused at ${String(cappedAt)} -> ${String(raised)}`, () => {
      assert.equal(raisedConnectionLimit(limit, cappedAt), raised);
    });
  }
});

describe('recipientsNeeded and slotMs', () => {
  it('counts a message as its recipients, at least one, at most the whole limit', () => {
    const limit = { count: 30, perMs: 60_000 };
    assert.equal(recipientsNeeded(3, limit), 3);
    assert.equal(recipientsNeeded(0, limit), 1);
    assert.equal(recipientsNeeded(50, limit), 30);
  });

  it('spaces waiting jobs one slot of the window apart', () => {
    assert.equal(slotMs({ count: 5, perMs: 3000 }, 1), 600);
    assert.equal(slotMs({ count: 10_000, perMs: 86_400_000 }, 2), 17_280);
  });
});

describe('lease members', () => {
  it('carry the recipient count first, whatever the job id holds', () => {
    const member = leaseMember('a:b:7', 12, 'f00d');
    assert.equal(member, '12:a:b:7:f00d');
    assert.equal(leaseWeight(member), 12);
    assert.equal(leaseWeight(leaseMember('j', 0, 't')), 1);
  });
});
