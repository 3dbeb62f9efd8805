import type { SenderConfig } from '@smtp-relay/config';
import type { Logger, RelayMetrics } from '@smtp-relay/observability';
import {
  createOAuth2TokenProvider,
  createRedisTokenStore,
  createTokenEndpointCall,
  oauth2CredentialId,
  type OAuth2TokenProvider,
} from '@smtp-relay/smart-host';
import type { Redis } from 'ioredis';

/** A token request never waits longer than this, whatever SMTP_CLIENT_TIMEOUT says. */
const MAX_TOKEN_REQUEST_MS = 30_000;

/** The access tokens every sender replica shares through Redis; undefined without OAuth2. */
export function createSharedOAuth2Tokens(deps: {
  readonly config: SenderConfig;
  readonly redis: Redis;
  readonly extraCa: Buffer | undefined;
  readonly logger: Logger;
  readonly metrics: RelayMetrics;
}): OAuth2TokenProvider | undefined {
  const { smartHost } = deps.config;
  if (smartHost.oauth2 === undefined || smartHost.user === undefined) return undefined;
  return createOAuth2TokenProvider({
    config: smartHost.oauth2,
    user: smartHost.user,
    store: createRedisTokenStore(
      deps.redis,
      deps.config.queuePrefix,
      oauth2CredentialId(smartHost.oauth2, smartHost.user),
    ),
    callEndpoint: createTokenEndpointCall({
      extraCa: deps.extraCa,
      timeoutMs: Math.min(deps.config.clientTimeoutMs, MAX_TOKEN_REQUEST_MS),
    }),
    logger: deps.logger,
    metrics: deps.metrics,
  });
}
