import type { Logger } from 'pino';
import { flushLogger } from './logger.ts';
import { createShutdown, type ShutdownStep } from './shutdown.ts';

// Called only from main.ts files: the composition root owns the process.

export interface InstallShutdownOptions {
  readonly logger: Logger;
  readonly timeoutMs: number;
  readonly steps: readonly ShutdownStep[];
}

/** SIGTERM/SIGINT run the steps once against the deadline, then exit 0 (or 1 if late). */
export function installShutdown(
  options: InstallShutdownOptions,
): (reason: string) => Promise<void> {
  const shutdown = createShutdown(options);
  const stopAndExit = async (reason: string): Promise<void> => {
    const code = await shutdown(reason);
    await flushLogger(options.logger);
    process.exit(code);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void stopAndExit(signal);
    });
  }
  return stopAndExit;
}

/**
 * An unexpected exception leaves the process in an unknown state: log it,
 * flush, exit non-zero and let Docker or Kubernetes restart a clean one
 * (Haraka does the same). Queued mail is safe in Redis.
 */
export function installCrashHandlers(logger: Logger): void {
  const crash = (kind: string) => (error: unknown) => {
    logger.fatal({ event: 'process.crashed', kind, err: error }, 'unexpected error, exiting');
    void flushLogger(logger).finally(() => {
      process.exit(1);
    });
  };
  process.on('uncaughtException', crash('uncaughtException'));
  process.on('unhandledRejection', crash('unhandledRejection'));
}
