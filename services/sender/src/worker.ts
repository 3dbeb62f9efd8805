import type { DeliveryFailure } from '@smtp-relay/smtp-errors';
import { isRedisConnectionError, type Logger, type RelayMetrics } from '@smtp-relay/observability';
import { DELIVERY_QUEUE_NAME, RELAY_BACKOFF_TYPE, type DeliveryJob } from '@smtp-relay/queue';
import type {
  FailedMessages,
  MessageHistory,
  MessageStore,
  ThroughputCounter,
} from '@smtp-relay/store';
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { BounceNotifier } from './bounce-notifier.ts';
import { systemClock, type Clock } from './clock.ts';
import { DeferredDelivery } from './deferred-delivery.ts';
import { createDeliveryProcessor } from './process-delivery.ts';
import { WORKER_LIMITER } from './redis-hold-store.ts';
import type { DeliveryRoutes } from './routes/delivery-route.ts';
import type { RouteOutcome } from './routes/route-outcome.ts';

// BullMQ glue: the worker's options and how its callbacks reach the delivery
// processor. Everything a delivery does is in process-delivery.ts.

interface DeliveryWorkerSettings {
  readonly prefix: string;
  readonly concurrency: number;
  readonly retryDelaysMs: readonly number[];
  readonly maxQueueLifetimeMs: number;
  readonly failedRetentionMs: number;
}

export interface DeliveryWorkerDependencies {
  readonly settings: DeliveryWorkerSettings;
  /** A connection with maxRetriesPerRequest: null (BullMQ requires it for workers). */
  readonly connection: Redis;
  readonly store: MessageStore;
  readonly failed: FailedMessages;
  readonly history?: MessageHistory | undefined;
  readonly throughput?: ThroughputCounter | undefined;
  /** Each with its smart-host client, its systemic hold and its limits (shared by every replica). */
  readonly routes: DeliveryRoutes;
  readonly bounces: BounceNotifier;
  readonly onRouteOutcome?: (route: string, outcome: RouteOutcome) => void;
  readonly onSystemic?: (route: string, failure: DeliveryFailure) => void;
  readonly logger: Logger;
  readonly metrics: RelayMetrics;
  /** false: the caller starts it with worker.run() */
  readonly autorun?: boolean;
  readonly clock?: Clock;
}

export function createDeliveryWorker(deps: DeliveryWorkerDependencies): Worker<DeliveryJob> {
  const { settings, logger } = deps;
  const processDelivery = createDeliveryProcessor({
    settings,
    store: deps.store,
    failed: deps.failed,
    history: deps.history,
    throughput: deps.throughput,
    routes: deps.routes,
    bounces: deps.bounces,
    ...(deps.onRouteOutcome ? { onRouteOutcome: deps.onRouteOutcome } : {}),
    ...(deps.onSystemic ? { onSystemic: deps.onSystemic } : {}),
    clock: deps.clock ?? systemClock,
    logger,
    metrics: deps.metrics,
  });

  // Three parameters: BullMQ passes the abort signal (Worker.cancelAllJobs) only
  // to a processor that declares it.
  const processor = (job: Job<DeliveryJob>, token?: string, signal?: AbortSignal) =>
    processDelivery(job, signal, token);

  const worker = new Worker<DeliveryJob>(DELIVERY_QUEUE_NAME, processor, {
    connection: deps.connection,
    prefix: settings.prefix,
    concurrency: settings.concurrency,
    autorun: deps.autorun ?? true,
    // Needed for the rate limit key to hold workers (systemic failures); the
    // limit itself is far above any real rate.
    limiter: WORKER_LIMITER,
    // A sender that dies mid-delivery holds its jobs until the lock expires;
    // another sender then re-runs them (at-least-once). Shorter than BullMQ's
    // 30 s + 30 s so mail moves again within ~15 s; the lock is renewed every
    // 5 s while a delivery runs, and delivery never blocks the event loop.
    lockDuration: 10_000,
    stalledInterval: 5_000,
    // After this many crashes on the same message it goes to the failed set.
    maxStalledCount: 5,
    settings: {
      backoffStrategy: (_attemptsMade, type, error) =>
        type === RELAY_BACKOFF_TYPE && error instanceof DeferredDelivery
          ? error.retryAfterMs
          : (settings.retryDelaysMs[0] ?? 60_000),
    },
  });
  worker.on('error', (error: Error) => {
    // A lost Redis is reported once by watchRedis; BullMQ repeats it per retry.
    if (isRedisConnectionError(error))
      logger.debug({ event: 'worker.error', err: error }, 'worker error');
    else logger.warn({ event: 'worker.error', err: error }, 'worker error');
  });
  return worker;
}
