import type { SmartHostConfig } from '@smtp-relay/config';
import type { Logger, RelayMetrics } from '@smtp-relay/observability';
import type { Redis } from 'ioredis';
import { oauth2CredentialId } from './credential-id.ts';
import { createTokenEndpointCall } from './token-endpoint.ts';
import { createOAuth2TokenProvider, type OAuth2TokenProvider } from './token-provider.ts';
import { createMemoryTokenStore, createRedisTokenStore } from './token-store.ts';

/** A token request never waits longer than this, whatever SMTP_CLIENT_TIMEOUT says. */
const MAX_TOKEN_REQUEST_MS = 30_000;

export interface SharedOAuth2TokensOptions {
  readonly smartHost: SmartHostConfig;
  /** QUEUE_PREFIX: the token state lives beside the queue */
  readonly prefix: string;
  /** The Redis every sender replica shares; undefined = this process alone, in memory. */
  readonly redis: Redis | undefined;
  readonly extraCa: Buffer | undefined;
  /** SMTP_CLIENT_TIMEOUT */
  readonly clientTimeoutMs: number;
  readonly logger: Logger;
  readonly metrics: Pick<RelayMetrics, 'oauth2TokenRequests' | 'oauth2Failures'>;
}

/**
 * The access tokens of the configured smart host (undefined without OAuth2): one
 * per credential, shared by every sender replica and the CLI through Redis.
 */
export function createSharedOAuth2Tokens(
  options: SharedOAuth2TokensOptions,
): OAuth2TokenProvider | undefined {
  const { oauth2, user } = options.smartHost;
  if (oauth2 === undefined || user === undefined) return undefined;
  return createOAuth2TokenProvider({
    config: oauth2,
    user,
    store:
      options.redis === undefined
        ? createMemoryTokenStore()
        : createRedisTokenStore(options.redis, options.prefix, oauth2CredentialId(oauth2, user)),
    callEndpoint: createTokenEndpointCall({
      extraCa: options.extraCa,
      timeoutMs: Math.min(options.clientTimeoutMs, MAX_TOKEN_REQUEST_MS),
    }),
    logger: options.logger,
    metrics: options.metrics,
  });
}
