import type { Logger } from 'pino';
import { systemTimeoutClock, withTimeout, type TimeoutClock } from './settle-within.ts';
import { STOP_STEPS_MS, startStopBudget, type StopBudget } from './stop-budget.ts';

export interface ShutdownStep {
  readonly name: string;
  /**
   * What this step needs, kept back from the steps before it. Without one the
   * step gets whatever is left when it starts (the drain, the deliveries).
   */
  readonly shareMs?: number;
  /** `budget` ends at this step's deadline: the step derives its own from it. */
  readonly run: (budget: StopBudget) => Promise<void>;
}

export interface ShutdownOptions {
  readonly logger: Logger;
  readonly steps: readonly ShutdownStep[];
  /** Unit tests pass one they move by hand. */
  readonly clock?: TimeoutClock;
}

/**
 * Runs the steps in order on one stop budget (STOP_STEPS_MS, see
 * stop-budget.ts) and resolves with the exit code: 0 when every step finished
 * in time, 1 otherwise. A step still running at its deadline is left behind
 * and the next one starts. The caller (a main.ts) owns the signal handlers and
 * process.exit.
 */
export function createShutdown(options: ShutdownOptions): (reason: string) => Promise<number> {
  let running: Promise<number> | undefined;
  return (reason: string) => {
    running ??= runSteps(options, reason);
    return running;
  };
}

async function runSteps(options: ShutdownOptions, reason: string): Promise<number> {
  const { logger, steps, clock = systemTimeoutClock } = options;
  logger.info({ event: 'process.stopping', reason }, 'stopping');
  const started = clock.now();
  const budget = startStopBudget(STOP_STEPS_MS, clock);
  let failed = false;
  let late = false;
  for (const [index, step] of steps.entries()) {
    const later = steps.slice(index + 1).reduce((sum, next) => sum + (next.shareMs ?? 0), 0);
    const stepBudget = budget.reserving(later);
    const deadlineMs = stepBudget.remainingMs();
    const outcome = await withTimeout(
      runStep(step, stepBudget, logger),
      deadlineMs,
      () => 'late' as const,
      clock,
    );
    if (outcome === 'failed') failed = true;
    if (outcome === 'late') {
      late = true;
      logger.error(
        { event: 'process.stop-timeout', step: step.name, deadlineMs },
        'stop step passed its deadline',
      );
    }
  }
  if (late) return 1;
  logger.info({ event: 'process.stopped', durationMs: clock.now() - started }, 'stopped');
  return failed ? 1 : 0;
}

async function runStep(
  step: ShutdownStep,
  budget: StopBudget,
  logger: Logger,
): Promise<'done' | 'failed'> {
  try {
    await step.run(budget);
    return 'done';
  } catch (error) {
    logger.error(
      { event: 'process.stop-step-failed', step: step.name, err: error },
      'stop step failed',
    );
    return 'failed';
  }
}
