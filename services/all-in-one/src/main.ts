// Composition root of `npm start`: ingress, sender and one admin HTTP in a
// single process, for a small box. Same parts as the two services.
import { findConfigWarnings, loadAllInOneConfig, loadOrExit } from '@smtp-relay/config';

const config = loadOrExit(() => loadAllInOneConfig(process.env));
// Loaded after the configuration is known to be valid, so that a bad
// configuration is reported within the 2 s SPEC allows even on a busy machine.
const { createRelayAdminHttp } = await import('@smtp-relay/admin');
const { createIngress } = await import('@smtp-relay/ingress');
const { RELAY_VERSION, createLogger, createMetrics, installCrashHandlers, installShutdown } =
  await import('@smtp-relay/observability');
const { createSender } = await import('@smtp-relay/sender');
const logger = createLogger({
  service: 'all-in-one',
  version: RELAY_VERSION,
  level: config.logLevel,
});
installCrashHandlers(logger);
for (const warning of findConfigWarnings(process.env, config)) {
  logger.warn({ event: 'config.warning' }, warning);
}

const metrics = createMetrics();
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
const admin =
  config.adminPort === 0
    ? undefined
    : await createRelayAdminHttp({
        logger,
        metrics,
        queueAccess: sender.queueAccess,
        adminToken: config.adminToken,
        readiness: [
          ...ingress.readiness,
          ...sender.readiness.filter((check) => check.name !== 'redis'),
        ],
      });

sender.start();
await ingress.listen();
await admin?.listen({ port: config.adminPort, host: config.adminHost });

installShutdown({
  logger,
  timeoutMs: 28_000,
  steps: [
    {
      name: 'smtp-and-deliveries',
      run: async () => {
        await Promise.all([ingress.close(), sender.close(20_000)]);
      },
    },
    { name: 'admin-http', run: async () => admin?.close() },
  ],
});
