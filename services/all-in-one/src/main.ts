// Composition root of `npm start`: ingress, sender and one admin HTTP in a
// single process, for a small box. Same parts as the two services.
import { createRelayAdminHttp } from '@smtp-relay/admin';
import { findConfigWarnings, loadAllInOneConfig, loadOrExit } from '@smtp-relay/config';
import { createIngress } from '@smtp-relay/ingress';
import {
  RELAY_VERSION,
  createLogger,
  createMetrics,
  installCrashHandlers,
  installShutdown,
} from '@smtp-relay/observability';
import { createSender } from '@smtp-relay/sender';

const config = loadOrExit(() => loadAllInOneConfig(process.env));
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
