import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closeRedis, settleWithin, withTimeout, type TimeoutClock } from '../src/settle-within.ts';
import { createManualTimeoutClock } from './manual-timeout-clock.ts';

// withTimeout is the one "wait at most N ms" of the project: every stop step
// and every bounded Redis call goes through it, so it must end at its deadline
// and leave no timer behind either way.

type Work = (clock: TimeoutClock) => Promise<string>;

const never: Work = () => new Promise<string>(() => undefined);
const resolvesAt =
  (ms: number, value: string): Work =>
  (clock) =>
    new Promise((resolve) => {
      clock.after(ms, () => {
        resolve(value);
      });
    });
const rejectsAt =
  (ms: number, message: string): Work =>
  (clock) =>
    new Promise((_resolve, reject) => {
      clock.after(ms, () => {
        reject(new Error(message));
      });
    });

interface TimeoutCase {
  readonly name: string;
  readonly work: Work;
  readonly ms: number;
  readonly onTimeout?: () => string;
  /** The value it resolves with, or the message it rejects with. */
  readonly outcome: { readonly value: string } | { readonly error: string };
  /** Clock time when it settled. */
  readonly at: number;
}

const late = (): string => 'late';
const TIMEOUT_CASES: readonly TimeoutCase[] = [
  {
    name: 'work done in time',
    work: resolvesAt(300, 'done'),
    ms: 1000,
    outcome: { value: 'done' },
    at: 300,
  },
  { name: 'work that hangs', work: never, ms: 1000, outcome: { value: 'late' }, at: 1000 },
  {
    name: 'work failing in time',
    work: rejectsAt(300, 'refused'),
    ms: 1000,
    outcome: { error: 'refused' },
    at: 300,
  },
  {
    name: 'onTimeout throwing',
    work: never,
    ms: 1000,
    onTimeout: () => {
      throw new Error('too slow');
    },
    outcome: { error: 'too slow' },
    at: 1000,
  },
  { name: 'a budget already spent', work: never, ms: -50, outcome: { value: 'late' }, at: 0 },
];

describe('withTimeout', () => {
  for (const c of TIMEOUT_CASES) {
    it(`${c.name}: settles at ${String(c.at)} ms and leaves no timer`, async () => {
      const clock = createManualTimeoutClock();
      const waiting = withTimeout(c.work(clock), c.ms, c.onTimeout ?? late, clock);
      if ('value' in c.outcome) {
        assert.equal(await clock.runUntilSettled(waiting), c.outcome.value);
      } else {
        await assert.rejects(clock.runUntilSettled(waiting), { message: c.outcome.error });
      }
      assert.equal(clock.now(), c.at);
      assert.equal(clock.pending(), 0, 'the deadline timer is cancelled or fired');
    });
  }
});

describe('settleWithin', () => {
  const cases: readonly [string, Work, 'done' | 'late', number][] = [
    ['resolved', resolvesAt(200, 'ok'), 'done', 200],
    ['rejected: the peer is gone, nothing to wait for', rejectsAt(200, 'closed'), 'done', 200],
    ['hanging', never, 'late', 2000],
  ];
  for (const [name, work, outcome, at] of cases) {
    it(`${name}: '${outcome}' at ${String(at)} ms, never a rejection`, async () => {
      const clock = createManualTimeoutClock();
      assert.equal(await clock.runUntilSettled(settleWithin(work(clock), 2000, clock)), outcome);
      assert.equal(clock.now(), at);
    });
  }
});

describe('closeRedis', () => {
  const cases: readonly {
    name: string;
    status: string;
    quit: Work;
    quitCalled: boolean;
    disconnected: boolean;
    at: number;
  }[] = [
    {
      name: 'connected, QUIT answered',
      status: 'ready',
      quit: resolvesAt(100, 'OK'),
      quitCalled: true,
      disconnected: false,
      at: 100,
    },
    {
      name: 'connected, QUIT unanswered',
      status: 'ready',
      quit: never,
      quitCalled: true,
      disconnected: true,
      at: 2000,
    },
    {
      name: 'reconnecting (Redis gone)',
      status: 'reconnecting',
      quit: never,
      quitCalled: false,
      disconnected: true,
      at: 0,
    },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.disconnected ? 'disconnects' : 'quits'} by ${String(c.at)} ms`, async () => {
      const clock = createManualTimeoutClock();
      const calls = { quit: false, disconnect: false };
      const redis = {
        status: c.status,
        quit: () => {
          calls.quit = true;
          return c.quit(clock);
        },
        disconnect: () => {
          calls.disconnect = true;
        },
      };
      await clock.runUntilSettled(closeRedis(redis, 2000, clock));
      assert.deepEqual(calls, { quit: c.quitCalled, disconnect: c.disconnected });
      assert.equal(clock.now(), c.at);
    });
  }
});
