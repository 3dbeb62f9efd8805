// Composition root of the ingress service (MercuryS): configuration from the
// environment, the SMTP listeners, admin HTTP, signals. Nothing else here.
import { findConfigWarnings, loadIngressConfig, loadOrExit } from '@smtp-relay/config';

const config = loadOrExit(() => loadIngressConfig(process.env));
// Loaded after the configuration is known to be valid, so that a bad
// configuration is reported within the 2 s SPEC allows even on a busy machine.
const { createRelayAdminHttp } = await import('@smtp-relay/admin');
const { RELAY_VERSION, createLogger, createMetrics, installCrashHandlers, installShutdown } =
  await import('@smtp-relay/observability');
const { createIngress } = await import('./ingress.ts');
const logger = createLogger({ service: 'ingress', version: RELAY_VERSION, level: config.logLevel });
installCrashHandlers(logger);
for (const warning of findConfigWarnings(process.env, config)) {
  logger.warn({ event: 'config.warning' }, warning);
}

const metrics = createMetrics();
const ingress = await createIngress({ config, logger, metrics });
const admin =
  config.adminPort === 0
    ? undefined
    : await createRelayAdminHttp({
        logger,
        metrics,
        readiness: ingress.readiness,
        queueAccess: ingress.queueAccess,
        adminToken: config.adminToken,
      });

await ingress.listen();
await admin?.listen({ port: config.adminPort, host: config.adminHost });

installShutdown({
  logger,
  timeoutMs: 28_000,
  steps: [
    { name: 'smtp', run: () => ingress.close() },
    { name: 'admin-http', run: async () => admin?.close() },
  ],
});
