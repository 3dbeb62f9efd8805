import type { Logger } from 'pino';
import { limitHeapGrowth } from './heap-growth.ts';
import { createLogger, flushLogger } from './logger.ts';
import { createMetrics, type RelayMetrics } from './metrics.ts';
import { RELAY_VERSION } from './version.ts';
import { withTimeout } from './settle-within.ts';
import { createShutdown, type ShutdownOptions } from './shutdown.ts';
import { explainStartupFailure, type StartupSurface } from './startup-failure.ts';
import { STOP_MARGIN_MS } from './stop-budget.ts';

// Called only from main.ts files: the composition root owns the process.

export interface ProcessObservabilityOptions {
  /** `ingress`, `sender` or `all-in-one`: the `service` field of every log line */
  readonly service: string;
  readonly level: string;
  /** Non-fatal configuration findings, logged once at start. */
  readonly configWarnings: readonly string[];
}

/**
 * The logger and metrics of a service process, with crash handling installed
 * and the heap kept near its live size (heap-growth.ts).
 */
export function startProcessObservability(options: ProcessObservabilityOptions): {
  logger: Logger;
  metrics: RelayMetrics;
} {
  limitHeapGrowth();
  const logger = createLogger({
    service: options.service,
    version: RELAY_VERSION,
    level: options.level,
  });
  installCrashHandlers(logger);
  for (const warning of options.configWarnings) logger.warn({ event: 'config.warning' }, warning);
  return { logger, metrics: createMetrics() };
}

/**
 * SIGTERM/SIGINT run the steps once on the stop budget (stop-budget.ts), then
 * exit 0 (or 1 if a step failed or was late). The function returned stops the
 * same way for another reason; `exitCode` 1 makes the exit 1 in any case.
 */
export function installShutdown(
  options: ShutdownOptions,
): (reason: string, exitCode?: 0 | 1) => Promise<void> {
  const shutdown = createShutdown(options);
  const stopAndExit = async (reason: string, exitCode: 0 | 1 = 0): Promise<void> => {
    const code = await shutdown(reason);
    // The margin left after the steps: a stdout nobody reads must not hold
    // the process past the 30 s.
    await withTimeout(flushLogger(options.logger), STOP_MARGIN_MS, () => undefined);
    process.exit(Math.max(code, exitCode));
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

/**
 * Runs a process's start (listen, connect, read files). A failure a row of
 * startup-failure.ts explains is one line on stderr naming the variable to
 * change, and exit 1; its stack is logged at debug level. Any other failure
 * is a crash with its stack (installCrashHandlers).
 */
export async function startOrExit<T>(
  logger: Logger,
  surface: StartupSurface,
  start: () => Promise<T>,
): Promise<T> {
  try {
    return await start();
  } catch (error) {
    const line = explainStartupFailure(error, surface);
    if (line === undefined) throw error;
    logger.debug({ event: 'process.start_failed', err: error }, line);
    await flushLogger(logger);
    process.stderr.write(`smtp-relay cannot start: ${line}\n`);
    process.exit(1);
  }
}
