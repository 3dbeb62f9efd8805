import { readFile } from 'node:fs/promises';
import type { SenderConfig, SmartHostConfig } from '@smtp-relay/config';
import { RELAY_VERSION, createLogger, createMetrics } from '@smtp-relay/observability';
import { createSharedOAuth2Tokens, type OAuth2TokenProvider } from '@smtp-relay/smart-host';
import { connectRedis } from '@smtp-relay/store';

export interface CliTokenSource {
  readonly tokens: OAuth2TokenProvider;
  /** true: the senders' shared token state in Redis (rotated refresh tokens are kept there) */
  readonly shared: boolean;
  close(): Promise<void>;
}

/** Where the senders keep the shared token state, and how long a token request may take. */
type TokenSourceSettings = Pick<SenderConfig, 'redis' | 'queuePrefix' | 'clientTimeoutMs'>;

const REDIS_PROBE_MS = 2000;

/**
 * The token provider a command uses: the one the senders share when Redis answers
 * (a refresh token they rotated is used, and one rotated now is kept for them),
 * else one of its own in memory with the configured refresh token. `smartHost`: the
 * default route's (config.smartHost) or a route's of SMART_HOST_ROUTES_FILE.
 */
export async function openTokenSource(
  smartHost: SmartHostConfig,
  config: TokenSourceSettings,
): Promise<CliTokenSource | undefined> {
  const { oauth2, user } = smartHost;
  if (oauth2 === undefined || user === undefined) return undefined;
  const redis = connectRedis(config.redis, {
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
  const extraCa = smartHost.caFile === undefined ? undefined : await readFile(smartHost.caFile);
  const tokens = createSharedOAuth2Tokens({
    smartHost,
    prefix: config.queuePrefix,
    redis: shared ? redis : undefined,
    extraCa,
    clientTimeoutMs: config.clientTimeoutMs,
    // Failures are reported to the operator by the command; logs stay quiet.
    logger: createLogger({ service: 'cli', version: RELAY_VERSION, level: 'silent' }),
    metrics: createMetrics(),
  });
  if (tokens === undefined) return undefined;
  return {
    tokens,
    shared,
    async close() {
      if (shared) await redis.quit().catch(() => undefined);
    },
  };
}
