// Composition root of the sender service (MercuryC): configuration from the
// environment, the delivery worker, admin HTTP, signals. Nothing else here.
import { findConfigWarnings, loadOrExit, loadSenderConfig } from '@smtp-relay/config';

const config = loadOrExit(() => loadSenderConfig(process.env));
// Loaded after the configuration is known to be valid, so that a bad
// configuration is reported within the 2 s docs/reference.md allows even on a busy machine.
// ADMIN_PORT=0: no admin HTTP, and none of its code (fastify, the dashboard) loaded.
const adminHttp = config.adminPort === 0 ? undefined : await import('@smtp-relay/admin');
const { ADMIN_HTTP_CLOSE_MS, installShutdown, startProcessObservability } =
  await import('@smtp-relay/observability');
const { createSender } = await import('./sender.ts');

const { logger, metrics } = startProcessObservability({
  service: 'sender',
  level: config.logLevel,
  configWarnings: findConfigWarnings(process.env, config),
});
const sender = await createSender({ config, logger, metrics });
sender.start();
const admin = await adminHttp?.startRelayAdminHttp({
  logger,
  metrics,
  readiness: sender.readiness,
  queueAccess: sender.queueAccess,
  adminToken: config.adminToken,
  host: config.adminHost,
  port: config.adminPort,
});

// Every deadline of the stop comes from one budget:
// packages/observability/src/stop-budget.ts.
installShutdown({
  logger,
  steps: [
    { name: 'deliveries', run: (budget) => sender.close(budget) },
    { name: 'admin-http', shareMs: ADMIN_HTTP_CLOSE_MS, run: async () => admin?.close() },
  ],
});
