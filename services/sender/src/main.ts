// Composition root of the sender service (MercuryC): configuration from the
// environment, the delivery worker, admin HTTP, signals. Nothing else here.
import { findConfigWarnings, loadOrExit, loadSenderConfig } from '@smtp-relay/config';

const config = loadOrExit(() => loadSenderConfig(process.env));
// Loaded after the configuration is known to be valid, so that a bad
// configuration is reported within the 2 s SPEC allows even on a busy machine.
const { startRelayAdminHttp } = await import('@smtp-relay/admin');
const { installShutdown, startProcessObservability } = await import('@smtp-relay/observability');
const { createSender } = await import('./sender.ts');

const { logger, metrics } = startProcessObservability({
  service: 'sender',
  level: config.logLevel,
  configWarnings: findConfigWarnings(process.env, config),
});
const sender = await createSender({ config, logger, metrics });
sender.start();
const admin = await startRelayAdminHttp({
  logger,
  metrics,
  readiness: sender.readiness,
  queueAccess: sender.queueAccess,
  adminToken: config.adminToken,
  host: config.adminHost,
  port: config.adminPort,
});

installShutdown({
  logger,
  timeoutMs: 28_000,
  steps: [
    { name: 'deliveries', run: () => sender.close(20_000) },
    { name: 'admin-http', run: async () => admin?.close() },
  ],
});
