import { readFileSync } from 'node:fs';
import { rootCertificates, type ConnectionOptions } from 'node:tls';
import type { RedisConnectionSettings } from '@smtp-relay/config';
import { Redis, type RedisOptions } from 'ioredis';
import { SentinelConnectorWithoutStaleDetector } from './sentinel-connector.ts';

// Every Redis connection of every service and command is made here, so that
// Sentinel, TLS and credentials apply to all of them, BullMQ's included
// (BullMQ duplicates the connections it is given, options and all).

// How to reach Redis: the settings config builds from REDIS_URL,
// REDIS_SENTINELS, REDIS_CA_FILE... (the type lives with the configuration).
export type { RedisConnectionSettings };

/** Only a URL: the tests' and tools' own Redis. */
export function plainRedisSettings(url: string): RedisConnectionSettings {
  return {
    url,
    sentinels: undefined,
    sentinelMaster: 'mymaster',
    sentinelPassword: undefined,
    caFile: undefined,
  };
}

/**
 * ioredis options. Without `replyMapping`, which ioredis's constructor types
 * more narrowly than its own RedisOptions (under exactOptionalPropertyTypes).
 */
export type ConnectionExtras = Omit<RedisOptions, 'replyMapping'>;

function tlsOptions(settings: RedisConnectionSettings, servername: string): ConnectionOptions {
  // `ca` replaces Node's default list: keep the system CAs and add the file's.
  const ca =
    settings.caFile === undefined
      ? undefined
      : [...rootCertificates, readFileSync(settings.caFile, 'utf8')];
  return {
    ...(ca === undefined ? {} : { ca }),
    // SNI is for names, not addresses.
    ...(servername === '' || /^[\d.]+$|:/.test(servername) ? {} : { servername }),
  };
}

/**
 * The ioredis options for `settings`, with `extra` (timeouts, offline queue,
 * connection name) on top. Exported for tests; services call connectRedis.
 */
export function redisOptions(
  settings: RedisConnectionSettings,
  extra: ConnectionExtras = {},
): ConnectionExtras {
  const url = new URL(settings.url);
  const tls = url.protocol === 'rediss:';
  const database = url.pathname.replace(/^\//, '');
  const credentials: ConnectionExtras = {
    ...(url.username === '' ? {} : { username: decodeURIComponent(url.username) }),
    ...(url.password === '' ? {} : { password: decodeURIComponent(url.password) }),
    db: database === '' ? 0 : Number(database),
  };
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (settings.sentinels === undefined) {
    return {
      host,
      port: url.port === '' ? 6379 : Number(url.port),
      ...credentials,
      ...(tls ? { tls: tlsOptions(settings, host) } : {}),
      ...extra,
    };
  }
  return {
    sentinels: settings.sentinels.map(({ host: sentinelHost, port }) => ({
      host: sentinelHost,
      port,
    })),
    name: settings.sentinelMaster,
    ...(settings.sentinelPassword === undefined
      ? {}
      : { sentinelPassword: settings.sentinelPassword }),
    // Subscribe to the sentinels' +switch-master: reconnect to the new
    // primary when it is promoted, not when the old one times out.
    failoverDetector: true,
    // ...and without ending the client when a failover is announced while it
    // is reconnecting (docs/adr/017-sentinel-failover-detector.md).
    Connector: SentinelConnectorWithoutStaleDetector,
    // Right after a failover a sentinel that has not caught up yet may name
    // the old primary, back as an empty primary until the sentinels turn it
    // into a replica: writes then fail with READONLY. Reconnect (asking the
    // sentinels again) instead of staying on a replica. The failed command
    // itself is not sent again (1, not 2): ingress must not store twice.
    reconnectOnError: (error: Error) => (error.message.startsWith('READONLY') ? 1 : false),
    ...credentials,
    ...(tls
      ? {
          // Names come from the sentinels (announced addresses): no SNI.
          tls: tlsOptions(settings, ''),
          enableTLSForSentinelMode: true,
          sentinelTLS: tlsOptions(settings, ''),
        }
      : {}),
    ...extra,
  };
}

/** A connection as `settings` say, with `extra` ioredis options for this use. */
export function connectRedis(
  settings: RedisConnectionSettings,
  extra: ConnectionExtras = {},
): Redis {
  return new Redis(redisOptions(settings, extra));
}
