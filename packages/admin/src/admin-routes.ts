import type { ClientBlockList } from '@smtp-relay/store';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { registerBlockRoutes } from './block-routes.ts';
import { DASHBOARD_HTML } from './dashboard-page.ts';
import { HISTORY_OFF, parseHistoryQuery } from './history-query.ts';
import { MESSAGE_STATES, type MessageAdmin, type MessageState } from './message-admin.ts';
import { registerRouteStatusRoutes, type RouteStatusReader } from './route-status-routes.ts';
import { registerThroughputRoutes, type ThroughputReader } from './throughput-routes.ts';
import { isAuthorized } from './token-auth.ts';

export interface AdminRoutesOptions {
  readonly admin: MessageAdmin;
  /** ADMIN_TOKEN; undefined = the API and UI answer 401 to everyone. */
  readonly token: string | undefined;
  /** Blocked client addresses (`/api/v1/blocks`); absent = no such routes. */
  readonly blocks?: ClientBlockList | undefined;
  /** The routes' status (`/api/v1/routes`); absent = no such route. */
  readonly routeStatus?: RouteStatusReader | undefined;
  /** Messages per minute from every replica (`/api/v1/throughput`); absent = no such route. */
  readonly throughput?: ThroughputReader | undefined;
}

const MAX_LIMIT = 1000;

const isUnsafe = (method: string): boolean => !['GET', 'HEAD', 'OPTIONS'].includes(method);
const isBearer = (authorization: string | undefined): boolean =>
  authorization?.trim().toLowerCase().startsWith('bearer ') === true;

/** `/api/v1/...` and `/ui`, behind ADMIN_TOKEN (health and metrics stay open). */
export function adminRoutes(options: AdminRoutesOptions) {
  return async (app: FastifyInstance): Promise<void> => {
    await app.register((scope, _opts, done) => {
      scope.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
        if (isAuthorized(request.headers.authorization, options.token)) {
          // A browser re-sends Basic credentials on its own, also for a form
          // another site posts here (CSRF); it sends a custom header only for
          // our own page's fetch. Bearer tokens are never sent on their own.
          if (
            isUnsafe(request.method) &&
            !isBearer(request.headers.authorization) &&
            request.headers['x-requested-with'] === undefined
          ) {
            await reply
              .code(403)
              .send({ error: 'send X-Requested-With (or use a Bearer token) for this request' });
          }
          return;
        }
        await reply
          .code(401)
          .header('www-authenticate', 'Basic realm="smtp-relay admin", charset="UTF-8"')
          .send({
            error:
              options.token === undefined
                ? 'ADMIN_TOKEN is not set: the admin API is off'
                : 'unauthorized',
          });
      });
      registerRoutes(scope, options.admin);
      if (options.blocks) registerBlockRoutes(scope, options.blocks);
      if (options.routeStatus) registerRouteStatusRoutes(scope, options.routeStatus);
      if (options.throughput) registerThroughputRoutes(scope, options.throughput);
      done();
    });
  };
}

function registerRoutes(scope: FastifyInstance, admin: MessageAdmin): void {
  scope.get('/ui', async (_request, reply) => {
    await reply
      .type('text/html; charset=utf-8')
      .headers({
        'cache-control': 'no-store',
        // The page is self-contained: no other origin, no framing (clickjacking).
        'content-security-policy':
          "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'",
        'x-frame-options': 'DENY',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
      })
      .send(DASHBOARD_HTML);
  });

  scope.get<{
    Querystring: { state?: string; limit?: string; q?: string; since?: string; until?: string };
  }>('/api/v1/messages', async (request, reply) => {
    const state = request.query.state ?? 'waiting';
    if (!(MESSAGE_STATES as readonly string[]).includes(state)) {
      return reply.code(400).send({ error: `state must be one of ${MESSAGE_STATES.join(', ')}` });
    }
    const { q, since, until } = request.query;
    // A repeated parameter arrives as a list: one value each.
    const repeated = [q, since, until, request.query.limit].some(
      (value: unknown) => value !== undefined && typeof value !== 'string',
    );
    if (repeated) return reply.code(400).send({ error: 'give q, since, until and limit once' });
    if (q !== undefined || since !== undefined || until !== undefined) {
      // docs/reference.md "Message history": a search of the delivered messages.
      if (state !== 'completed') {
        return reply.code(400).send({ error: 'q, since and until search state=completed' });
      }
      const parsed = parseHistoryQuery({ ...request.query }, Date.now());
      if (!parsed.ok) return reply.code(400).send({ error: parsed.problem });
      if (!admin.historyKept) return reply.code(409).send({ error: HISTORY_OFF });
      return { state, history: true, ...(await admin.search(parsed.query)) };
    }
    const limit = Number(request.query.limit ?? 100);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      return reply.code(400).send({ error: `limit must be 1-${String(MAX_LIMIT)}` });
    }
    const result = await admin.list(state as MessageState, limit);
    // Delivered: from the message history, or without one the finished jobs BullMQ holds.
    return state === 'completed'
      ? { state, history: admin.historyKept, ...result }
      : { state, ...result };
  });

  scope.get('/api/v1/counts', async () => admin.counts());

  scope.get<{ Params: { id: string } }>('/api/v1/messages/:id', async (request, reply) => {
    const message = await admin.get(request.params.id);
    return message ?? reply.code(404).send({ error: 'no such message' });
  });

  scope.post<{ Params: { id: string } }>('/api/v1/messages/:id/retry', async (request, reply) => {
    const result = await admin.retry(request.params.id);
    request.log.info(
      { event: 'admin.retry', messageId: request.params.id, ok: result.ok },
      result.message,
    );
    return result.ok
      ? { result: result.message }
      : reply.code(result.status).send({ error: result.message });
  });

  scope.delete<{ Params: { id: string } }>('/api/v1/messages/:id', async (request, reply) => {
    const result = await admin.remove(request.params.id);
    request.log.warn(
      { event: 'admin.delete', messageId: request.params.id, ok: result.ok },
      result.message,
    );
    return result.ok
      ? { result: result.message }
      : reply.code(result.status).send({ error: result.message });
  });
}
