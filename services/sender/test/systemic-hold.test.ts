import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MAX_SYSTEMIC_HOLD_MS,
  NOT_HELD,
  holdFor,
  holdTiming,
  planEnd,
  planStart,
  type AttemptEnd,
  type HoldState,
} from '../src/systemic-hold.ts';

// docs/adr/003: the decisions every sender replica makes on the hold state
// they share, one row per situation.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const SCHEDULE = [1, 5, 15, 30, 60, 120, 240].map((m) => m * MINUTE);
// SMTP_CLIENT_TIMEOUT 60 s: a probe's claim lasts 3 × 60 s + 10 s.
const TIMING = holdTiming(SCHEDULE, 60 * SECOND);
const CLAIM = 190 * SECOND;

const held = (fields: Partial<HoldState>): HoldState => ({ ...NOT_HELD, holds: 1, ...fields });
const probeOut = (jobId: string, claimMs = CLAIM): HoldState['probe'] => ({ jobId, claimMs });

describe('systemic hold: a delivery starts', () => {
  const rows: {
    name: string;
    state: HoldState;
    expected: ReturnType<typeof planStart>;
  }[] = [
    {
      name: 'not held: delivers, nothing to change',
      state: NOT_HELD,
      expected: { result: { kind: 'deliver' } },
    },
    {
      name: 'a hold began after BullMQ handed out the job: waits for it, untried',
      state: held({ holdingMs: 50 * SECOND, pausedMs: 50 * SECOND }),
      expected: { result: { kind: 'wait', ms: 50 * SECOND } },
    },
    {
      name: 'first delivery after the hold: the probe',
      state: held({ holds: 2 }),
      expected: {
        result: { kind: 'probe' },
        change: { kind: 'claim-probe', jobId: 'a', ms: CLAIM },
      },
    },
    {
      name: 'hold lifted by `queue resume` (rate limit key gone): the probe at once',
      state: held({ holdingMs: 4 * MINUTE }),
      expected: {
        result: { kind: 'probe' },
        change: { kind: 'claim-probe', jobId: 'a', ms: CLAIM },
      },
    },
    {
      name: 'the probe is out: waits, and so does every worker, for a poll',
      state: held({ probe: probeOut('b') }),
      expected: {
        result: { kind: 'wait', ms: SECOND },
        change: { kind: 'pause', ms: SECOND },
      },
    },
    {
      name: 'the probe is out, its claim almost over: waits until it is',
      state: held({ probe: probeOut('b', 300) }),
      expected: { result: { kind: 'wait', ms: 300 }, change: { kind: 'pause', ms: 300 } },
    },
    {
      name: 'workers already paused for the probe: waits without a change',
      state: held({ probe: probeOut('b'), pausedMs: 700 }),
      expected: { result: { kind: 'wait', ms: 700 } },
    },
    {
      name: 'the probe itself again (its sender crashed): probes, claim renewed',
      state: held({ probe: probeOut('a', 5 * SECOND) }),
      expected: {
        result: { kind: 'probe' },
        change: { kind: 'claim-probe', jobId: 'a', ms: CLAIM },
      },
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      assert.deepEqual(planStart(row.state, 'a', TIMING), row.expected);
    });
  }
});

describe('systemic hold: an attempt ends', () => {
  const rows: {
    name: string;
    state: HoldState;
    end: AttemptEnd;
    expected: ReturnType<typeof planEnd>;
  }[] = [
    {
      name: 'first systemic failure: holds everyone for the first RETRY_DELAYS step',
      state: NOT_HELD,
      end: 'systemic',
      expected: { result: MINUTE, change: { kind: 'hold', holds: 1, ms: MINUTE } },
    },
    {
      name: 'failing inside a running hold (in flight when it began): no longer hold',
      state: held({ holdingMs: 59 * SECOND, pausedMs: 59 * SECOND }),
      end: 'systemic',
      expected: { result: undefined },
    },
    {
      name: 'the probe fails: the next, longer hold',
      state: held({ holds: 2, probe: probeOut('a') }),
      end: 'systemic',
      expected: { result: 15 * MINUTE, change: { kind: 'hold', holds: 3, ms: 15 * MINUTE } },
    },
    {
      name: 'holds are capped so that a fix is picked up within minutes',
      state: held({ holds: 6, probe: probeOut('a') }),
      end: 'systemic',
      expected: {
        result: MAX_SYSTEMIC_HOLD_MS,
        change: { kind: 'hold', holds: 7, ms: MAX_SYSTEMIC_HOLD_MS },
      },
    },
    {
      name: 'a straggler fails while another delivery is the probe: the probe decides',
      state: held({ probe: probeOut('b') }),
      end: 'systemic',
      expected: { result: undefined },
    },
    {
      name: 'fails after the hold, before any probe: that was the probe',
      state: held({ holds: 2 }),
      end: 'systemic',
      expected: { result: 15 * MINUTE, change: { kind: 'hold', holds: 3, ms: 15 * MINUTE } },
    },
    {
      name: 'the probe gets through: the hold is over for everyone',
      state: held({ holds: 4, probe: probeOut('a'), pausedMs: 800 }),
      end: 'through',
      expected: { result: undefined, change: { kind: 'clear' } },
    },
    {
      name: 'another delivery gets through (a connection logged in earlier): no proof',
      state: held({ probe: probeOut('b') }),
      end: 'through',
      expected: { result: undefined },
    },
    {
      name: 'the probe has no answer (stopped, no body): the next delivery probes',
      state: held({ probe: probeOut('a') }),
      end: 'inconclusive',
      expected: { result: undefined, change: { kind: 'release-probe' } },
    },
    {
      name: 'another delivery has no answer: nothing changes',
      state: held({ probe: probeOut('b') }),
      end: 'inconclusive',
      expected: { result: undefined },
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      assert.deepEqual(planEnd(row.state, 'a', row.end, TIMING), row.expected);
    });
  }
});

describe('systemic hold: how long', () => {
  it('grows along RETRY_DELAYS, one step per hold in a row, capped at 15 minutes', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 8].map((holds) => holdFor(holds, SCHEDULE) / MINUTE),
      [1, 5, 15, 15, 15, 15],
    );
    assert.equal(MAX_SYSTEMIC_HOLD_MS, 15 * MINUTE);
  });

  it('a probe claim outlasts one attempt: three SMTP_CLIENT_TIMEOUTs and a margin', () => {
    assert.equal(holdTiming(SCHEDULE, 5 * SECOND).probeClaimMs, 25 * SECOND);
  });
});
