// Composition root of the sender service (MercuryC): configuration from the
// environment, the delivery worker, admin HTTP, signals. Nothing else here.
import { findConfigWarnings, loadOrExit, loadSenderConfig } from '@smtp-relay/config';

const config = loadOrExit(() => loadSenderConfig(process.env));
// Loaded after the configuration is known to be valid, so that a bad
// configuration is reported within the 2 s SPEC allows even on a busy machine.
const { createRelayAdminHttp } = await import('@smtp-relay/admin');
const { RELAY_VERSION, createLogger, createMetrics, installCrashHandlers, installShutdown } =
  await import('@smtp-relay/observability');
const { createSender } = await import('./sender.ts');
const logger = createLogger({ service: 'sender', version: RELAY_VERSION, level: config.logLevel });
installCrashHandlers(logger);
for (const warning of findConfigWarnings(process.env, config)) {
  logger.warn({ event: 'config.warning' }, warning);
}

const metrics = createMetrics();
const sender = await createSender({ config, logger, metrics });
const admin =
  config.adminPort === 0
    ? undefined
    : await createRelayAdminHttp({
        logger,
        metrics,
        readiness: sender.readiness,
        queueAccess: sender.queueAccess,
        adminToken: config.adminToken,
      });

sender.start();
await admin?.listen({ port: config.adminPort, host: config.adminHost });

installShutdown({
  logger,
  timeoutMs: 28_000,
  steps: [
    { name: 'deliveries', run: () => sender.close(20_000) },
    { name: 'admin-http', run: async () => admin?.close() },
  ],
});
