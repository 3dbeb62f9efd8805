import { randomUUID } from 'node:crypto';
import type { OAuth2Config } from '@smtp-relay/config';
import type { Logger, RelayMetrics } from '@smtp-relay/observability';
import { OAuth2Error, type OAuth2FailureReason } from './oauth2-error.ts';
import { toTokenResponse, type TokenEndpointCall } from './token-endpoint.ts';
import { buildTokenRequest } from './token-request.ts';
import type { CachedAccessToken, TokenStore } from './token-store.ts';

/**
 * Access tokens for AUTH XOAUTH2, shared by every sender replica through the
 * store (Redis): one token until shortly before it expires, refreshed by one
 * replica at a time under a lock while the others wait for its result.
 */
export interface OAuth2TokenProvider {
  /** A valid token: the cached one, or a new one. */
  getToken(): Promise<CachedAccessToken>;
  /** The smart host rejected `rejected`: drop it (if still cached) and get a new one. */
  renew(rejected: string): Promise<CachedAccessToken>;
  /** Asks the endpoint now, whatever is cached (`npx smtp-relay oauth2 check`). */
  refresh(): Promise<CachedAccessToken>;
  /** Counts and logs a failure found outside the provider (a token rejected twice). */
  reportFailure(error: OAuth2Error): void;
}

export interface OAuth2TokenProviderDependencies {
  readonly config: OAuth2Config;
  /** SMART_HOST_USER: the mailbox */
  readonly user: string;
  readonly store: TokenStore;
  readonly callEndpoint: TokenEndpointCall;
  readonly logger: Logger;
  readonly metrics: Pick<RelayMetrics, 'oauth2TokenRequests' | 'oauth2Failures'>;
  readonly now?: () => number;
  /** How long a replica waits for another one's refresh (default 30 s). */
  readonly waitMs?: number;
  /** Between looks at the store while another replica refreshes (default 100 ms). */
  readonly pollMs?: number;
}

/** Refresh this long before expiry: 5 minutes, or a tenth of a short lifetime. */
export function refreshMarginMs(lifetimeMs: number): number {
  return Math.min(5 * 60_000, lifetimeMs / 10);
}

/** A failure is shared for this long, so replicas do not each retry a failing endpoint. */
const FAILURE_TTL_MS = 5_000;
/**
 * Twice the longest token request (token-endpoint.ts bounds each at 30 s): the lock
 * cannot lapse while its owner still talks to the endpoint, so two replicas never
 * spend one refresh token at once (a rotating endpoint would void one of them).
 */
const LOCK_TTL_MS = 60_000;

export function createOAuth2TokenProvider(
  deps: OAuth2TokenProviderDependencies,
): OAuth2TokenProvider {
  const { config, store, logger, metrics } = deps;
  const now = deps.now ?? Date.now;
  const waitMs = deps.waitMs ?? LOCK_TTL_MS + 5_000;
  const pollMs = deps.pollMs ?? 100;
  const owner = randomUUID();
  const context = { event: 'oauth2.failed', grant: config.grant.kind, provider: config.provider };
  // One refresh per process at a time (one forced, one not: a forced refresh must not
  // be answered with the cached token); the lock does the same across replicas.
  const inFlight = new Map<boolean, Promise<CachedAccessToken>>();

  function fail(error: OAuth2Error): never {
    reportFailure(error);
    throw error;
  }

  function reportFailure(error: OAuth2Error): void {
    metrics.oauth2Failures.inc({ reason: error.reason });
    logger.error(
      {
        ...context,
        reason: error.reason,
        error: error.oauthError,
        description: error.description,
        status: error.status,
      },
      `no OAuth2 access token for the smart host (mail is held, none bounced): ${error.message}`,
    );
  }

  /** Asks the endpoint; the caller holds the lock. */
  async function fetchToken(): Promise<CachedAccessToken> {
    const stored = await store.readRefreshToken();
    const form = await buildTokenRequest({
      config,
      user: deps.user,
      refreshToken: stored,
      nowMs: now(),
    });
    let response;
    try {
      response = toTokenResponse(await deps.callEndpoint(config.tokenUrl, form));
    } catch (error) {
      metrics.oauth2TokenRequests.inc({ result: 'failed' });
      throw error;
    }
    metrics.oauth2TokenRequests.inc({ result: 'issued' });
    const lifetimeMs = response.expiresIn * 1000;
    const token: CachedAccessToken = {
      token: response.accessToken,
      expiresAt: now() + lifetimeMs,
      scope: response.scope,
    };
    const current =
      stored ?? (config.grant.kind === 'refresh-token' ? config.grant.refreshToken : undefined);
    const rotated = response.refreshToken !== undefined && response.refreshToken !== current;
    // The new refresh token first: the old one may already be void at the endpoint.
    if (rotated && response.refreshToken !== undefined)
      await store.writeRefreshToken(response.refreshToken);
    await store.writeAccess(token, lifetimeMs - refreshMarginMs(lifetimeMs));
    await store.clearFailure();
    logger.info(
      {
        event: 'oauth2.token',
        grant: config.grant.kind,
        provider: config.provider,
        expiresInS: response.expiresIn,
        scope: response.scope,
        refreshTokenRotated: rotated,
      },
      'obtained an OAuth2 access token',
    );
    return token;
  }

  async function refreshUnderLock(force: boolean): Promise<CachedAccessToken> {
    const deadline = now() + waitMs;
    for (;;) {
      if (!force) {
        const cached = await store.readAccess();
        if (cached) return cached;
      }
      const failure = await store.readFailure();
      if (failure && !force) {
        // Another replica just failed: the same error, without asking again.
        throw new OAuth2Error(failure.reason as OAuth2FailureReason, failure.message);
      }
      if (await store.acquireLock(owner, LOCK_TTL_MS)) {
        try {
          if (!force) {
            const cached = await store.readAccess();
            if (cached) return cached;
          }
          return await fetchToken();
        } catch (error) {
          const failed =
            error instanceof OAuth2Error
              ? error
              : new OAuth2Error('unreachable', `token request failed: ${String(error)}`, {
                  cause: error,
                });
          await store
            .writeFailure({ reason: failed.reason, message: failed.message }, FAILURE_TTL_MS)
            .catch(() => undefined);
          return fail(failed);
        } finally {
          await store.releaseLock(owner).catch(() => undefined);
        }
      }
      if (now() >= deadline) {
        return fail(
          new OAuth2Error(
            'unreachable',
            'timed out waiting for another sender to refresh the OAuth2 token',
          ),
        );
      }
      force = false;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  function once(force: boolean): Promise<CachedAccessToken> {
    let flight = inFlight.get(force);
    if (flight === undefined) {
      flight = refreshUnderLock(force).finally(() => {
        inFlight.delete(force);
      });
      inFlight.set(force, flight);
    }
    return flight;
  }

  return {
    async getToken() {
      const cached = await store.readAccess();
      if (cached && cached.expiresAt > now()) return cached;
      return once(false);
    },
    async renew(rejected) {
      await store.discardAccess(rejected);
      const fresh = await once(false);
      // A refresh already in flight may have read the rejected token from the cache.
      return fresh.token === rejected ? once(true) : fresh;
    },
    refresh: () => once(true),
    reportFailure,
  };
}
