import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { RelayMetrics } from './metrics.ts';
import { withTimeout } from './settle-within.ts';

export interface ReadinessCheck {
  readonly name: string;
  /** Resolves with a problem description, or undefined when ready. */
  readonly check: () => Promise<string | undefined>;
}

export interface AdminHttpDependencies {
  readonly logger: Logger;
  readonly metrics: RelayMetrics;
  readonly readiness: readonly ReadinessCheck[];
  /** Extra routes (queue API, dashboard) registered by the composition root. */
  readonly routes?: ((app: FastifyInstance) => Promise<void>) | undefined;
}

const READINESS_TIMEOUT_MS = 2000;

async function runCheck(check: ReadinessCheck): Promise<string | undefined> {
  try {
    return await withTimeout(check.check(), READINESS_TIMEOUT_MS, () => 'timed out');
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * Builds the admin HTTP app; the caller listens. fastify (~10 MB with its
 * dependencies) is loaded here, so a process with ADMIN_PORT=0 never loads it.
 */
export async function createAdminHttp(deps: AdminHttpDependencies): Promise<FastifyInstance> {
  const { fastify } = await import('fastify');
  // Probes hit /healthz every few seconds: request lines (info) would drown the mail log.
  const logger: FastifyBaseLogger = deps.logger.child(
    { component: 'admin-http' },
    { level: 'warn' },
  );
  const app = fastify({ loggerInstance: logger });

  // Liveness: the process and its event loop answer.
  app.get('/healthz', () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const results = await Promise.all(
      deps.readiness.map(async (check) => ({ name: check.name, problem: await runCheck(check) })),
    );
    const problems = results.filter((result) => result.problem !== undefined);
    const checks = Object.fromEntries(results.map((r) => [r.name, r.problem ?? 'ok']));
    if (problems.length > 0) return reply.code(503).send({ status: 'unready', checks });
    return { status: 'ready', checks };
  });

  app.get('/metrics', async (_request, reply) => {
    const text = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(text);
  });

  if (deps.routes) await deps.routes(app);
  return app;
}
