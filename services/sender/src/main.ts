// Composition root of the sender service (MercuryC): configuration from the
// environment, the delivery worker, admin HTTP, signals. Nothing else here.
import { findConfigWarnings, loadOrExit, loadSenderConfig } from '@smtp-relay/config';

const config = loadOrExit(() => loadSenderConfig(process.env));
// Loaded after the configuration is known to be valid, so that a bad
// configuration is reported within the 2 s docs/reference.md allows even on a busy machine.
// ADMIN_PORT=0: no admin HTTP, and none of its code (fastify, the dashboard) loaded.
const adminHttp = config.adminPort === 0 ? undefined : await import('@smtp-relay/admin');
const {
  ADMIN_HTTP_CLOSE_MS,
  installShutdown,
  startOrExit,
  startProcessObservability,
  startupSurface,
} = await import('@smtp-relay/observability');
const { checkRedisLogin } = await import('@smtp-relay/store');
const { createSender } = await import('./sender.ts');

const { logger, metrics } = startProcessObservability({
  service: 'sender',
  level: config.logLevel,
  configWarnings: findConfigWarnings(process.env, config),
});
// A port in use, Redis refusing our password, an unreadable file: one line
// naming the variable, exit 1 (packages/observability/src/startup-failure.ts).
const { sender, admin } = await startOrExit(
  logger,
  startupSurface(config, process.env),
  async () => {
    await checkRedisLogin(config.redis);
    const sender = await createSender({ config, logger, metrics });
    // Listening first: a port in use stops the process before it takes a job.
    const admin = await adminHttp?.startRelayAdminHttp({
      logger,
      metrics,
      readiness: sender.readiness,
      queueAccess: sender.queueAccess,
      adminToken: config.adminToken,
      history: { retentionMs: config.historyRetentionMs, maxMessages: config.historyMaxMessages },
      host: config.adminHost,
      port: config.adminPort,
    });
    sender.start();
    return { sender, admin };
  },
);

// Every deadline of the stop comes from one budget:
// packages/observability/src/stop-budget.ts.
const stop = installShutdown({
  logger,
  steps: [
    { name: 'deliveries', run: (budget) => sender.close(budget) },
    { name: 'admin-http', shareMs: ADMIN_HTTP_CLOSE_MS, run: async () => admin?.close() },
  ],
});
// ioredis gave up on a Redis connection for good (it will not reconnect):
// stop as on SIGTERM, exit 1, and let Docker or Kubernetes start a clean
// process (docs/adr/017-sentinel-failover-detector.md).
void sender.redisLost.then(() => stop('redis-lost', 1));
