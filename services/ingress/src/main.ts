// Composition root of the ingress service (MercuryS): configuration from the
// environment, the SMTP listeners, admin HTTP, signals. Nothing else here.
import { findConfigWarnings, loadIngressConfig, loadOrExit } from '@smtp-relay/config';

const config = loadOrExit(() => loadIngressConfig(process.env));
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
const { createIngress } = await import('./ingress.ts');

const { logger, metrics } = startProcessObservability({
  service: 'ingress',
  level: config.logLevel,
  configWarnings: findConfigWarnings(process.env, config),
});
// A port in use, Redis refusing our password, an unreadable file: one line
// naming the variable, exit 1 (packages/observability/src/startup-failure.ts).
const { ingress, admin } = await startOrExit(
  logger,
  startupSurface(config, process.env),
  async () => {
    await checkRedisLogin(config.redis);
    const ingress = await createIngress({ config, logger, metrics });
    await ingress.listen();
    const admin = await adminHttp?.startRelayAdminHttp({
      logger,
      metrics,
      readiness: ingress.readiness,
      queueAccess: ingress.queueAccess,
      adminToken: config.adminToken,
      history: { retentionMs: config.historyRetentionMs, maxMessages: config.historyMaxMessages },
      host: config.adminHost,
      port: config.adminPort,
    });
    return { ingress, admin };
  },
);

// Every deadline of the stop comes from one budget:
// packages/observability/src/stop-budget.ts.
const stop = installShutdown({
  logger,
  steps: [
    { name: 'smtp', run: (budget) => ingress.close(budget) },
    { name: 'admin-http', shareMs: ADMIN_HTTP_CLOSE_MS, run: async () => admin?.close() },
  ],
});
// ioredis gave up on a Redis connection for good (it will not reconnect):
// stop as on SIGTERM, exit 1, and let Docker or Kubernetes start a clean
// process (docs/adr/017-sentinel-failover-detector.md).
void ingress.redisLost.then(() => stop('redis-lost', 1));
