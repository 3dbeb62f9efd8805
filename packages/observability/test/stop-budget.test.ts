import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { settleWithin } from '../src/settle-within.ts';
import { createShutdown, type ShutdownStep } from '../src/shutdown.ts';
import {
  ADMIN_HTTP_CLOSE_MS,
  CLOSE_STEP_MS,
  INGRESS_AFTER_DRAIN_MS,
  SENDER_AFTER_WORKER_MS,
  SMTP_CLOSE_MS,
  STOP_BUDGET_MS,
  STOP_MARGIN_MS,
  STOP_STEPS_MS,
  startStopBudget,
  type StopBudget,
} from '../src/stop-budget.ts';
import { createCapturedLogger } from './captured-logger.ts';
import { createManualTimeoutClock, type ManualTimeoutClock } from './manual-timeout-clock.ts';

describe('a stop budget of 28 s', () => {
  // [ms since it started, remainingMs(), until(7000), atMost(2000), reserving(1000).remainingMs()]
  const cases: readonly (readonly [number, number, number, number, number])[] = [
    [0, 28_000, 21_000, 2000, 27_000],
    [20_000, 8000, 1000, 2000, 7000],
    [27_500, 500, 0, 500, 0],
    [31_000, 0, 0, 0, 0],
  ];
  for (const [elapsed, remaining, until, atMost, reserving] of cases) {
    it(`after ${String(elapsed)} ms: ${String(remaining)} ms left, never less than 0`, () => {
      let now = 1_000_000;
      const clock = { now: () => now, after: () => () => undefined };
      const budget = startStopBudget(28_000, clock);
      now += elapsed;
      assert.equal(budget.remainingMs(), remaining);
      assert.equal(budget.until(7000), until);
      assert.equal(budget.atMost(2000), atMost);
      assert.equal(budget.reserving(1000).remainingMs(), reserving);
    });
  }
});

// Each process's stop as its main.ts and close() run it, with every wait
// hanging to its deadline (the worst case): when each wait ends, and when the
// stop resolves. A row changes only with the split in stop-budget.ts.

type Record = (step: string) => void;

/** A wait that never ends by itself: it lasts exactly `ms`. */
function hang(budget: StopBudget, ms: number): Promise<unknown> {
  return settleWithin(new Promise(() => undefined), ms, budget.clock);
}

async function ingressClose(budget: StopBudget, record: Record): Promise<void> {
  await hang(budget, budget.until(INGRESS_AFTER_DRAIN_MS));
  record('ingress drain');
  await hang(budget, budget.atMost(SMTP_CLOSE_MS));
  record('ingress smtp close');
  for (const step of ['transcripts', 'queue', 'redis']) {
    await hang(budget, budget.atMost(CLOSE_STEP_MS));
    record(`ingress ${step}`);
  }
}

async function senderClose(budget: StopBudget, record: Record): Promise<void> {
  await hang(budget, budget.until(SENDER_AFTER_WORKER_MS));
  record('sender worker');
  for (const step of ['transcripts', 'queue', 'redis']) {
    await hang(budget, budget.atMost(CLOSE_STEP_MS));
    record(`sender ${step}`);
  }
}

interface ProcessCase {
  readonly process: string;
  readonly close: (budget: StopBudget, record: Record) => Promise<void>;
  /** Clock time (ms after SIGTERM) each wait ended. */
  readonly ends: readonly (readonly [string, number])[];
}

const INGRESS_ENDS = [
  ['ingress drain', 20_000],
  ['ingress smtp close', 21_000],
  ['ingress transcripts', 23_000],
  ['ingress queue', 25_000],
  ['ingress redis', 27_000],
] as const;
const SENDER_ENDS = [
  ['sender worker', 21_000],
  ['sender transcripts', 23_000],
  ['sender queue', 25_000],
  ['sender redis', 27_000],
] as const;

const PROCESSES: readonly ProcessCase[] = [
  { process: 'ingress', close: ingressClose, ends: INGRESS_ENDS },
  { process: 'sender', close: senderClose, ends: SENDER_ENDS },
  {
    process: 'all-in-one (both closes on the same budget, at the same time)',
    close: async (budget, record) => {
      await Promise.all([ingressClose(budget, record), senderClose(budget, record)]);
    },
    ends: [...INGRESS_ENDS, ...SENDER_ENDS],
  },
];

async function worstCaseStop(
  clock: ManualTimeoutClock,
  close: ProcessCase['close'],
): Promise<{ code: number; ends: Map<string, number> }> {
  const ends = new Map<string, number>();
  const record: Record = (step) => ends.set(step, clock.now());
  const steps: ShutdownStep[] = [
    { name: 'close', run: (budget) => close(budget, record) },
    {
      name: 'admin-http',
      shareMs: ADMIN_HTTP_CLOSE_MS,
      run: async (budget) => {
        await hang(budget, budget.remainingMs());
        record('admin-http');
      },
    },
  ];
  const stop = createShutdown({ logger: createCapturedLogger().logger, steps, clock });
  const code = await clock.runUntilSettled(stop('SIGTERM'));
  return { code, ends };
}

describe('the stop budget split, worst case (every wait hangs)', () => {
  it('leaves the margin: steps get STOP_BUDGET_MS - STOP_MARGIN_MS', () => {
    assert.equal(STOP_BUDGET_MS, 30_000, 'docs/reference.md "Processes and commands"');
    assert.equal(STOP_STEPS_MS + STOP_MARGIN_MS, STOP_BUDGET_MS);
  });

  for (const c of PROCESSES) {
    it(`${c.process}: every wait ends at its share, the stop within the budget`, async () => {
      const clock = createManualTimeoutClock();
      const { code, ends } = await worstCaseStop(clock, c.close);
      for (const [step, at] of c.ends) assert.equal(ends.get(step), at, step);
      const lastClose = Math.max(...c.ends.map(([, at]) => at));
      assert.equal(lastClose + ADMIN_HTTP_CLOSE_MS, STOP_STEPS_MS, 'admin HTTP keeps its share');
      assert.equal(clock.now(), STOP_STEPS_MS, 'resolved when the steps’ budget ends');
      assert.ok(clock.now() + STOP_MARGIN_MS <= STOP_BUDGET_MS);
      assert.equal(code, 1, 'a hung admin HTTP close is reported');
    });
  }
});
