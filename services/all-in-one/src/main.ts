// Composition root of `npm start`: ingress, sender and one admin HTTP in a
// single process, for a small box. Same parts as the two services.
import { findConfigWarnings, loadAllInOneConfig, loadOrExit } from '@smtp-relay/config';

const config = loadOrExit(() => loadAllInOneConfig(process.env));
// Loaded after the configuration is known to be valid, so that a bad
// configuration is reported within the 2 s docs/reference.md allows even on a busy machine.
// ADMIN_PORT=0: no admin HTTP, and none of its code (fastify, the dashboard) loaded.
const adminHttp = config.adminPort === 0 ? undefined : await import('@smtp-relay/admin');
const { createIngress } = await import('@smtp-relay/ingress');
const {
  ADMIN_HTTP_CLOSE_MS,
  installShutdown,
  startOrExit,
  startProcessObservability,
  startupSurface,
} = await import('@smtp-relay/observability');
const { checkRedisLogin } = await import('@smtp-relay/store');
const { createSender } = await import('@smtp-relay/sender');

const { logger, metrics } = startProcessObservability({
  service: 'all-in-one',
  level: config.logLevel,
  configWarnings: findConfigWarnings(process.env, config),
});
// A port in use, Redis refusing our password, an unreadable file: one line
// naming the variable, exit 1 (packages/observability/src/startup-failure.ts).
const { ingress, sender, admin } = await startOrExit(
  logger,
  startupSurface(config, process.env),
  async () => {
    await checkRedisLogin(config.redis);
    const ingress = await createIngress({
      config,
      logger: logger.child({ component: 'ingress' }),
      metrics,
    });
    const sender = await createSender({
      config,
      logger: logger.child({ component: 'sender' }),
      metrics,
    });
    // Listening first: a port in use stops the process before it takes a job.
    await ingress.listen();
    const admin = await adminHttp?.startRelayAdminHttp({
      logger,
      metrics,
      // One Redis check is enough: both parts use the same Redis.
      readiness: [
        ...ingress.readiness,
        ...sender.readiness.filter((check) => check.name !== 'redis'),
      ],
      queueAccess: sender.queueAccess,
      adminToken: config.adminToken,
      history: { retentionMs: config.historyRetentionMs, maxMessages: config.historyMaxMessages },
      host: config.adminHost,
      port: config.adminPort,
    });
    sender.start();
    return { ingress, sender, admin };
  },
);
// For a parent that started this process (npm run demo): everything listens.
process.send?.({ event: 'relay.listening' });

// Every deadline of the stop comes from one budget:
// packages/observability/src/stop-budget.ts. Ingress and sender close at the
// same time on the same budget, so this process stops within the 30 s as a
// lone service does (not twice that).
const stop = installShutdown({
  logger,
  steps: [
    {
      name: 'smtp-and-deliveries',
      run: async (budget) => {
        await Promise.all([ingress.close(budget), sender.close(budget)]);
      },
    },
    { name: 'admin-http', shareMs: ADMIN_HTTP_CLOSE_MS, run: async () => admin?.close() },
  ],
});
// ioredis gave up on a Redis connection for good (it will not reconnect):
// stop as on SIGTERM, exit 1, and let Docker or Kubernetes start a clean
// process (docs/adr/017-sentinel-failover-detector.md).
void Promise.race([ingress.redisLost, sender.redisLost]).then(() => stop('redis-lost', 1));
