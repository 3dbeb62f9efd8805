import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createShutdown, type ShutdownStep } from '../src/shutdown.ts';
import { STOP_STEPS_MS } from '../src/stop-budget.ts';
import { createCapturedLogger } from './captured-logger.ts';
import { createManualTimeoutClock, type ManualTimeoutClock } from './manual-timeout-clock.ts';

// createShutdown runs the steps in order on one budget of STOP_STEPS_MS: each
// step ends at its deadline (the budget minus the shares of the steps after
// it) whatever it does, so the stop always resolves within the budget.

interface StepPlan {
  readonly name: string;
  readonly shareMs?: number;
  /** How long the step runs, or 'hang' for never; `throws` fails it at that moment. */
  readonly takes: number | 'hang';
  readonly throws?: 'async' | 'sync';
}

interface Case {
  readonly name: string;
  readonly steps: readonly StepPlan[];
  readonly code: number;
  /** Clock time (ms after the stop began) when it resolved. */
  readonly resolvedAt: number;
  /** [step, started at, the budget it was handed] in order. */
  readonly started: readonly (readonly [string, number, number])[];
  readonly events: readonly string[];
}

const ADMIN = { name: 'admin-http', shareMs: 1000, takes: 100 } as const;

const CASES: readonly Case[] = [
  {
    name: 'every step in time',
    steps: [{ name: 'close', takes: 5000 }, ADMIN],
    code: 0,
    resolvedAt: 5100,
    started: [
      ['close', 0, 27_000],
      ['admin-http', 5000, 23_000],
    ],
    events: ['process.stopping', 'process.stopped'],
  },
  {
    name: 'a step failing: the next still runs',
    steps: [{ name: 'close', takes: 300, throws: 'async' }, ADMIN],
    code: 1,
    resolvedAt: 400,
    started: [
      ['close', 0, 27_000],
      ['admin-http', 300, 27_700],
    ],
    events: ['process.stopping', 'process.stop-step-failed', 'process.stopped'],
  },
  {
    name: 'a step throwing before its first await',
    steps: [{ name: 'close', takes: 0, throws: 'sync' }, ADMIN],
    code: 1,
    resolvedAt: 100,
    started: [
      ['close', 0, 27_000],
      ['admin-http', 0, 28_000],
    ],
    events: ['process.stopping', 'process.stop-step-failed', 'process.stopped'],
  },
  {
    name: 'the main step hanging: cut at its deadline, admin HTTP keeps its share',
    steps: [{ name: 'close', takes: 'hang' }, ADMIN],
    code: 1,
    resolvedAt: 27_100,
    started: [
      ['close', 0, 27_000],
      ['admin-http', 27_000, 1000],
    ],
    events: ['process.stopping', 'process.stop-timeout'],
  },
  {
    name: 'every step hanging: the stop still resolves when the budget ends',
    steps: [
      { name: 'close', takes: 'hang' },
      { ...ADMIN, takes: 'hang' },
    ],
    code: 1,
    resolvedAt: STOP_STEPS_MS,
    started: [
      ['close', 0, 27_000],
      ['admin-http', 27_000, 1000],
    ],
    events: ['process.stopping', 'process.stop-timeout', 'process.stop-timeout'],
  },
  {
    name: 'three steps: each keeps back what the later ones need',
    steps: [
      { name: 'drain', takes: 'hang' },
      { name: 'redis', shareMs: 2000, takes: 'hang' },
      ADMIN,
    ],
    code: 1,
    resolvedAt: 25_000 + 2000 + 100,
    started: [
      ['drain', 0, 25_000],
      ['redis', 25_000, 2000],
      ['admin-http', 27_000, 1000],
    ],
    events: ['process.stopping', 'process.stop-timeout', 'process.stop-timeout'],
  },
];

function stepsFor(
  plans: readonly StepPlan[],
  clock: ManualTimeoutClock,
  started: [string, number, number][],
): ShutdownStep[] {
  return plans.map((plan) => ({
    name: plan.name,
    ...(plan.shareMs === undefined ? {} : { shareMs: plan.shareMs }),
    run: (budget) => {
      started.push([plan.name, clock.now(), budget.remainingMs()]);
      if (plan.throws === 'sync') throw new Error(`${plan.name} broke`);
      return new Promise<void>((resolve, reject) => {
        if (plan.takes === 'hang') return;
        clock.after(plan.takes, () => {
          if (plan.throws === 'async') reject(new Error(`${plan.name} failed`));
          else resolve();
        });
      });
    },
  }));
}

describe('createShutdown', () => {
  for (const c of CASES) {
    it(`${c.name}: exit ${String(c.code)} at ${String(c.resolvedAt)} ms`, async () => {
      const clock = createManualTimeoutClock();
      const captured = createCapturedLogger();
      const started: [string, number, number][] = [];
      const stop = createShutdown({
        logger: captured.logger,
        steps: stepsFor(c.steps, clock, started),
        clock,
      });
      assert.equal(await clock.runUntilSettled(stop('SIGTERM')), c.code);
      assert.equal(clock.now(), c.resolvedAt);
      assert.ok(clock.now() <= STOP_STEPS_MS, 'within the budget');
      assert.deepEqual(started, c.started);
      assert.deepEqual(
        captured.lines().map((line) => line['event']),
        c.events,
      );
    });
  }

  it('names the late step and its deadline', async () => {
    const clock = createManualTimeoutClock();
    const captured = createCapturedLogger();
    const stop = createShutdown({
      logger: captured.logger,
      steps: stepsFor([{ name: 'close', takes: 'hang' }, ADMIN], clock, []),
      clock,
    });
    await clock.runUntilSettled(stop('SIGTERM'));
    const late = captured.lines().find((line) => line['event'] === 'process.stop-timeout');
    assert.deepEqual([late?.['step'], late?.['deadlineMs']], ['close', 27_000]);
  });

  it('runs the steps once when stopped twice (SIGTERM then SIGINT)', async () => {
    const clock = createManualTimeoutClock();
    const started: [string, number, number][] = [];
    const stop = createShutdown({
      logger: createCapturedLogger().logger,
      steps: stepsFor([{ name: 'close', takes: 500 }], clock, started),
      clock,
    });
    const first = stop('SIGTERM');
    assert.equal(stop('SIGINT'), first);
    assert.equal(await clock.runUntilSettled(first), 0);
    assert.equal(started.length, 1);
  });
});
