import type { Logger } from 'pino';

export interface ShutdownStep {
  readonly name: string;
  readonly run: () => Promise<void>;
}

export interface ShutdownOptions {
  readonly logger: Logger;
  /** Everything must be done within this; SPEC promises exit within 30 s. */
  readonly timeoutMs: number;
  readonly steps: readonly ShutdownStep[];
}

/**
 * Runs the steps in order against one deadline and resolves with the exit code:
 * 0 when every step finished in time, 1 otherwise. The caller (a main.ts) owns
 * the signal handlers and process.exit.
 */
export function createShutdown(options: ShutdownOptions): (reason: string) => Promise<number> {
  let running: Promise<number> | undefined;
  return (reason: string) => {
    running ??= runSteps(options, reason);
    return running;
  };
}

async function runSteps(options: ShutdownOptions, reason: string): Promise<number> {
  const { logger } = options;
  logger.info({ event: 'process.stopping', reason }, 'stopping');
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => {
      resolve('timeout');
    }, options.timeoutMs);
  });
  const outcome = { failed: false };
  const all = (async () => {
    for (const step of options.steps) {
      try {
        await step.run();
      } catch (error) {
        outcome.failed = true;
        logger.error(
          { event: 'process.stop-step-failed', step: step.name, err: error },
          'stop step failed',
        );
      }
    }
  })();
  const result = await Promise.race([all.then(() => 'done' as const), deadline]);
  clearTimeout(timer);
  if (result === 'timeout') {
    logger.error(
      { event: 'process.stop-timeout', timeoutMs: options.timeoutMs },
      'stop deadline passed',
    );
    return 1;
  }
  logger.info({ event: 'process.stopped', durationMs: Date.now() - started }, 'stopped');
  return outcome.failed ? 1 : 0;
}
