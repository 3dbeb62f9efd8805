import {
  createAdminHttp,
  registerOldestMessageAge,
  registerQueueDepth,
  type Logger,
  type ReadinessCheck,
  type RelayMetrics,
} from '@smtp-relay/observability';
import type { QueueAccess } from '@smtp-relay/queue';
import { readRouteStatus } from '@smtp-relay/smart-host/route-status';
import {
  createRedisClientBlockList,
  readThroughput,
  type HistorySettings,
} from '@smtp-relay/store';
import type { FastifyInstance } from 'fastify';
import { adminRoutes } from './admin-routes.ts';
import { createMessageAdmin } from './message-admin.ts';
import { readOldestMessageAges } from './oldest-message-age.ts';

export interface RelayAdminHttpOptions {
  readonly logger: Logger;
  readonly metrics: RelayMetrics;
  readonly readiness: readonly ReadinessCheck[];
  readonly queueAccess: QueueAccess;
  readonly adminToken: string | undefined;
  /** HISTORY_RETENTION and HISTORY_MAX_MESSAGES: what the API and UI search. */
  readonly history: HistorySettings;
  /** ADMIN_HOST / ADMIN_PORT; port 0 = no admin HTTP at all */
  readonly host: string;
  readonly port: number;
}

export interface RunningAdminHttp {
  close(): Promise<void>;
}

/** Builds and opens the admin HTTP server; undefined when ADMIN_PORT is 0. */
export async function startRelayAdminHttp(
  options: RelayAdminHttpOptions,
): Promise<RunningAdminHttp | undefined> {
  if (options.port === 0) return undefined;
  const app = await createRelayAdminHttp(options);
  await app.listen({ host: options.host, port: options.port });
  return { close: () => app.close() };
}

/**
 * The admin HTTP app every process serves: /healthz, /readyz, /metrics (with
 * the queue depth and the oldest message's age by state), and the
 * token-protected /api/v1 and /ui.
 */
export async function createRelayAdminHttp(
  options: RelayAdminHttpOptions,
): Promise<FastifyInstance> {
  const { queue, redis, prefix } = options.queueAccess;
  registerQueueDepth(options.metrics, () =>
    queue.getJobCounts('waiting', 'delayed', 'active', 'failed'),
  );
  registerOldestMessageAge(options.metrics, () => readOldestMessageAges(queue));
  const admin = createMessageAdmin({ ...options.queueAccess, history: options.history });
  return createAdminHttp({
    logger: options.logger,
    metrics: options.metrics,
    readiness: options.readiness,
    routes: adminRoutes({
      admin,
      token: options.adminToken,
      blocks: createRedisClientBlockList(options.queueAccess),
      // Published by the senders (ingress has no smart host but shows the same).
      routeStatus: () => readRouteStatus(redis, prefix),
      throughput: (range) => readThroughput(redis, prefix, range),
    }),
  });
}
