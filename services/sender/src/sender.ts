import { DEFAULT_ROUTE_NAME, type SenderConfig } from '@smtp-relay/config';
import { formatReply } from '@smtp-relay/smtp-errors';
import {
  CLOSE_STEP_MS,
  SENDER_AFTER_WORKER_MS,
  closeRedis,
  registerRouteGauges,
  settleWithin,
  startTranscripts,
  watchRedis,
  type Logger,
  type ReadinessCheck,
  type RelayMetrics,
  type StopBudget,
} from '@smtp-relay/observability';
import { createDeliveryQueue, type QueueAccess } from '@smtp-relay/queue';
import { createRedisHostHealthStore } from '@smtp-relay/smart-host';
import {
  countRouteOutcome,
  publishRouteStatus,
  type RouteOutcome as CountedOutcome,
  createHostActivityLog,
  recordHoldReason,
} from '@smtp-relay/smart-host/route-status';
import {
  connectRedis,
  createRedisFailedMessages,
  createRedisMessageHistory,
  createThroughputRecorder,
  createRedisMessageStore,
} from '@smtp-relay/store';
import { createBounceNotifier } from './bounce-notifier.ts';
import { isBodyReferenced, sweepOrphanBodies } from './orphan-sweep.ts';
import { buildRoutes } from './routes/build-routes.ts';
import { deliveryRoutes } from './routes/delivery-route.ts';
import { routeMatchers } from './routes/resolve-route.ts';
import type { RouteOutcome } from './routes/route-outcome.ts';
import { reportRoutes } from './routes/route-status-report.ts';
import { createDeliveryWorker } from './worker.ts';

/** The outcomes the dashboard counts per route (waits and holds are metrics only). */
function isCountedOutcome(outcome: RouteOutcome): outcome is CountedOutcome {
  return outcome !== 'held' && outcome !== 'limited';
}

export interface Sender {
  /** Starts taking jobs. */
  start(): void;
  /**
   * Stops taking jobs, lets in-flight deliveries finish (or hands them back),
   * closes connections; all within `budget`.
   */
  close(budget: StopBudget): Promise<void>;
  readonly readiness: readonly ReadinessCheck[];
  /** Resolves if ioredis gives up on one of the Redis connections for good (watchRedis). */
  readonly redisLost: Promise<void>;
  /** For the admin API and queue metrics. */
  readonly queueAccess: QueueAccess;
}

// Orphaned bodies are looked for every 15 minutes (spread over replicas by a
// random offset). A body untouched for 6 hours counts as one: far longer than
// any DATA transfer still being stored (a chunk is written every 512 KiB).
const SWEEP_INTERVAL_MS = 15 * 60_000;
const ORPHAN_MIN_IDLE_SECONDS = 6 * 3600;
// Well within the status key's 30 s lifetime, so a live sender keeps it.
const ROUTE_STATUS_INTERVAL_MS = 5000;

export interface SenderDependencies {
  readonly config: SenderConfig;
  readonly logger: Logger;
  readonly metrics: RelayMetrics;
}

export async function createSender(deps: SenderDependencies): Promise<Sender> {
  const { config, logger, metrics } = deps;
  // Workers wait for Redis (BullMQ requires maxRetriesPerRequest: null); the
  // second connection reads bodies and acts on the queue.
  const workerConnection = connectRedis(config.redis, {
    maxRetriesPerRequest: null,
    connectionName: 'smtp-relay-sender-worker',
  });
  const connection = connectRedis(config.redis, {
    connectionName: 'smtp-relay-sender',
  });
  const redisLost = Promise.race([
    watchRedis(workerConnection, logger, 'sender-worker'),
    watchRedis(connection, logger, 'sender'),
  ]);
  const queue = createDeliveryQueue({ connection, prefix: config.queuePrefix });
  queue.on('error', (error: Error) => {
    logger.debug({ event: 'queue.error', err: error }, 'queue error');
  });
  const store = createRedisMessageStore({ redis: connection, prefix: config.queuePrefix });
  const transcripts =
    config.smartHostTranscriptDir === undefined
      ? undefined
      : startTranscripts({
          dir: config.smartHostTranscriptDir,
          retentionMs: config.transcriptRetentionMs,
          logger,
        });
  const health = createRedisHostHealthStore(connection, config.queuePrefix);
  const activity = createHostActivityLog();
  const routes = await buildRoutes({
    config,
    redis: connection,
    limiterKey: queue.toKey('limiter'),
    health,
    activity,
    transcripts: transcripts?.writer,
    logger,
    metrics,
  });
  const report = () =>
    reportRoutes(routes, health, { redis: connection, prefix: config.queuePrefix });
  registerRouteGauges(metrics, report);
  const bounces = await createBounceNotifier({
    config,
    store,
    queue,
    logger,
    // A bounce names the host of its message's route (docs/reference.md "Failover, routes and rate limits").
    smartHostOf: (name) =>
      routes.find((route) => route.name === (name ?? DEFAULT_ROUTE_NAME))?.smartHost.host ??
      config.smartHost.host,
  });
  const failed = createRedisFailedMessages({ redis: connection, prefix: config.queuePrefix });
  const throughput = createThroughputRecorder({ redis: connection, prefix: config.queuePrefix });
  const history = createRedisMessageHistory({
    redis: connection,
    prefix: config.queuePrefix,
    settings: { retentionMs: config.historyRetentionMs, maxMessages: config.historyMaxMessages },
  });
  const worker = createDeliveryWorker({
    settings: {
      prefix: config.queuePrefix,
      concurrency: config.concurrency,
      retryDelaysMs: config.retryDelaysMs,
      maxQueueLifetimeMs: config.maxQueueLifetimeMs,
      failedRetentionMs: config.failedRetentionMs,
    },
    connection: workerConnection,
    store,
    failed,
    history,
    throughput,
    routes: deliveryRoutes(routes, routeMatchers(config.routes)),
    bounces,
    onSystemic: (route, failure) => {
      void recordHoldReason(connection, config.queuePrefix, route, {
        category: failure.category,
        reply: formatReply(failure.reply),
        hint: failure.hint ?? null,
        at: Date.now(),
      });
    },
    onRouteOutcome: (route, outcome) => {
      if (isCountedOutcome(outcome)) {
        void countRouteOutcome(connection, config.queuePrefix, route, outcome);
      }
    },
    logger,
    metrics,
    autorun: false,
  });

  const sweep = async (): Promise<void> => {
    try {
      const result = await sweepOrphanBodies({
        bodies: store,
        hasJob: isBodyReferenced(queue, failed),
        minIdleSeconds: ORPHAN_MIN_IDLE_SECONDS,
      });
      if (result.deleted > 0) {
        logger.info({ event: 'store.orphans-swept', ...result }, 'removed bodies without a job');
      }
    } catch (error) {
      logger.warn({ event: 'store.sweep-failed', err: error }, 'orphan sweep failed');
    }
  };
  let sweepTimer: NodeJS.Timeout | undefined;
  // The routes' state for the admin API and dashboard of every process.
  const publish = async (): Promise<void> => {
    // Never rejects, and goes first: the hosts' replies do not wait on the rest.
    await activity.publish(connection, config.queuePrefix);
    try {
      await publishRouteStatus(connection, config.queuePrefix, await report());
    } catch (error) {
      logger.debug(
        { event: 'routes.status-not-published', err: error },
        'route status not published',
      );
    }
  };
  let statusTimer: NodeJS.Timeout | undefined;

  return {
    start() {
      sweepTimer = setInterval(
        () => {
          void sweep();
        },
        SWEEP_INTERVAL_MS + Math.floor(Math.random() * 60_000),
      );
      sweepTimer.unref();
      void publish();
      statusTimer = setInterval(() => {
        void publish();
      }, ROUTE_STATUS_INTERVAL_MS);
      statusTimer.unref();
      void worker.run().catch((error: unknown) => {
        logger.error({ event: 'worker.stopped', err: error }, 'worker stopped');
      });
      logger.info(
        {
          event: 'sender.started',
          smartHost: config.smartHost.hosts.map((h) => `${h.host}:${String(h.port)}`).join(','),
          routes: config.routes.map((route) => route.name),
          tls: config.smartHost.tls,
          auth: config.smartHost.oauth2
            ? `oauth2 (${config.smartHost.oauth2.grant.kind})`
            : config.smartHost.user !== undefined,
          provider: config.smartHost.provider,
          pop3: config.pop3 ? `${config.pop3.host}:${String(config.pop3.port)}` : undefined,
          concurrency: config.concurrency,
        },
        'sender started',
      );
    },
    async close(budget) {
      clearInterval(sweepTimer);
      clearInterval(statusTimer);
      // In-flight deliveries get what is left once the steps below have their
      // share (stop-budget.ts); past that they are abandoned and BullMQ hands
      // them to another sender once their lock expires (at-least-once).
      // Without Redis no outcome can be recorded anyway: do not wait for one.
      const workerMs = budget.until(SENDER_AFTER_WORKER_MS);
      const waitMs =
        workerConnection.status === 'ready' ? workerMs : Math.min(workerMs, CLOSE_STEP_MS);
      if ((await settleWithin(worker.close(), waitMs, budget.clock)) === 'late') {
        logger.warn(
          { event: 'sender.stop-forced' },
          'worker did not stop in time (deliveries in flight, or Redis unreachable)',
        );
        // Before the smart-host connections are cut below: the deliveries
        // they carry then end as interrupted, not as the smart host's failure.
        worker.cancelAllJobs('sender stopping');
        void worker.close(true).catch(() => undefined);
      }
      // Synchronous underneath (the pool drops its sockets): no share of its own.
      await Promise.all(routes.map((route) => route.client.close()));
      // Bounded: with Redis gone these would wait for a reconnection.
      const closeStepMs = (): number => budget.atMost(CLOSE_STEP_MS);
      if (transcripts) await settleWithin(transcripts.close(), closeStepMs(), budget.clock);
      await settleWithin(throughput.close(), closeStepMs(), budget.clock);
      await settleWithin(queue.close(), closeStepMs(), budget.clock);
      await Promise.all([
        closeRedis(workerConnection, closeStepMs(), budget.clock),
        closeRedis(connection, closeStepMs(), budget.clock),
      ]);
    },
    queueAccess: { queue, store, redis: connection, prefix: config.queuePrefix },
    redisLost,
    readiness: [
      {
        name: 'redis',
        check: async () => {
          if (connection.status !== 'ready') return `redis ${connection.status}`;
          await connection.ping();
          return undefined;
        },
      },
    ],
  };
}
