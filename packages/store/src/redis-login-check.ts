import { connectRedis, type RedisConnectionSettings } from './redis-connection.ts';

// A Redis that refuses our password never starts accepting it: the services
// would retry for ever while readiness stays 503. Checked once at start, so
// that a wrong password is one line and exit 1 (startup-failure.ts in
// packages/observability). Anything else (Redis not up yet, a failover) is
// left to the services, which wait for Redis as before.

const REFUSED_LOGIN = /^(WRONGPASS|NOAUTH)\b|AUTH <password> called without any password/;

/**
 * Rejects with Redis's own error when Redis refuses the login of `settings`;
 * resolves when the login works or Redis cannot be asked within `timeoutMs`.
 */
export async function checkRedisLogin(
  settings: RedisConnectionSettings,
  timeoutMs = 5000,
): Promise<void> {
  const redis = connectRedis(settings, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    connectionName: 'smtp-relay:login-check',
  });
  let refused: Error | undefined;
  redis.on('error', (error: Error) => {
    if (REFUSED_LOGIN.test(error.message)) refused ??= error;
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    if (error instanceof Error && REFUSED_LOGIN.test(error.message)) refused ??= error;
  } finally {
    redis.disconnect();
  }
  if (refused) throw refused;
}
