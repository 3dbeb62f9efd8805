import { readFile } from 'node:fs/promises';
import type { SenderConfig } from '@smtp-relay/config';
import { RELAY_VERSION, createLogger, createMetrics } from '@smtp-relay/observability';
import {
  createMemoryTokenStore,
  createOAuth2TokenProvider,
  createRedisTokenStore,
  createTokenEndpointCall,
  oauth2CredentialId,
  type OAuth2TokenProvider,
} from '@smtp-relay/smart-host';
import { Redis } from 'ioredis';

export interface CliTokenSource {
  readonly tokens: OAuth2TokenProvider;
  /** true: the senders' shared token state in Redis (rotated refresh tokens are kept there) */
  readonly shared: boolean;
  close(): Promise<void>;
}

const REDIS_PROBE_MS = 2000;

/**
 * The token provider a command uses: the one the senders share when Redis answers
 * (a refresh token they rotated is used, and one rotated now is kept for them),
 * else one of its own in memory with the configured refresh token.
 */
export async function openTokenSource(config: SenderConfig): Promise<CliTokenSource | undefined> {
  const { oauth2, user } = config.smartHost;
  if (oauth2 === undefined || user === undefined) return undefined;
  const redis = new Redis(config.redisUrl, {
    maxRetriesPerRequest: 1,
    connectTimeout: REDIS_PROBE_MS,
    enableOfflineQueue: false,
    lazyConnect: true,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  const shared = await redis
    .connect()
    .then(() => redis.ping())
    .then(
      () => true,
      () => false,
    );
  if (!shared) redis.disconnect();
  const extraCa =
    config.smartHost.caFile === undefined ? undefined : await readFile(config.smartHost.caFile);
  const tokens = createOAuth2TokenProvider({
    config: oauth2,
    user,
    store: shared
      ? createRedisTokenStore(redis, config.queuePrefix, oauth2CredentialId(oauth2, user))
      : createMemoryTokenStore(),
    callEndpoint: createTokenEndpointCall({
      extraCa,
      timeoutMs: Math.min(config.clientTimeoutMs, 30_000),
    }),
    // Failures are reported to the operator by the command; logs stay quiet.
    logger: createLogger({ service: 'cli', version: RELAY_VERSION, level: 'silent' }),
    metrics: createMetrics(),
  });
  return {
    tokens,
    shared,
    async close() {
      if (shared) await redis.quit().catch(() => undefined);
    },
  };
}
