import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  generateCertificates,
  getFreePort,
  redisCli,
  startRedisSentinelGroup,
  startRedisServer,
  type GeneratedCertificates,
  type RedisServerHandle,
  type SentinelGroup,
} from '@smtp-relay/testkit';
import type { Redis } from 'ioredis';
import {
  connectRedis,
  createReplicaWait,
  plainRedisSettings,
  type RedisConnectionSettings,
} from '../src/index.ts';

// REDIS_URL (rediss://, ACL users), REDIS_CA_FILE and REDIS_SENTINELS against
// real redis-server and sentinel processes, and REDIS_WAIT_REPLICAS's WAIT
// against a real replica.

const FAIL_FAST = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  retryStrategy: () => null,
  sentinelRetryStrategy: () => null,
  connectTimeout: 3000,
} as const;

/**
 * Connects, runs `use`, always disconnects. Rejects with the first error the
 * connection reported (ioredis's connect() itself only says the connection closed).
 */
async function withConnection<T>(
  settings: RedisConnectionSettings,
  use: (redis: Redis) => Promise<T>,
): Promise<T> {
  const redis = connectRedis(settings, { ...FAIL_FAST, lazyConnect: true });
  let reported: unknown;
  redis.on('error', (error: unknown) => {
    reported ??= error;
  });
  try {
    await redis.connect().catch((error: unknown) => {
      throw reported ?? error;
    });
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

describe('Redis over TLS with an ACL user (real redis-server)', () => {
  let certificates: GeneratedCertificates;
  let server: RedisServerHandle;
  let tlsPort: number;
  const settings = (url: string, caFile?: string): RedisConnectionSettings => ({
    ...plainRedisSettings(url),
    caFile,
  });

  before(async () => {
    certificates = await generateCertificates();
    tlsPort = await getFreePort();
    server = await startRedisServer({
      extraArgs: [
        ...['--tls-port', String(tlsPort), '--tls-auth-clients', 'no'],
        ...['--tls-cert-file', certificates.certFile, '--tls-key-file', certificates.keyFile],
        ...['--tls-ca-cert-file', certificates.caFile],
        ...['--user', 'relay', 'on', '>relay-secret', '~*', '&*', '+@all'],
      ],
    });
  });

  after(async () => {
    await server.cleanup();
    await certificates.cleanup();
  });

  it('rediss:// with REDIS_CA_FILE and the ACL user: commands run', async () => {
    const url = `rediss://relay:relay-secret@127.0.0.1:${String(tlsPort)}/0`;
    const answer = await withConnection(settings(url, certificates.caFile), async (redis) => {
      await redis.set('tls-check', 'ok');
      return [await redis.get('tls-check'), await redis.acl('WHOAMI')];
    });
    assert.deepEqual(answer, ['ok', 'relay']);
  });

  it('rediss:// without the CA: the certificate is refused', async () => {
    const url = `rediss://relay:relay-secret@127.0.0.1:${String(tlsPort)}`;
    await assert.rejects(
      withConnection(settings(url), (redis) => redis.ping()),
      /self-signed|unable to (get|verify)|certificate/i,
    );
  });

  it('a wrong ACL password is refused', async () => {
    const url = `rediss://relay:wrong@127.0.0.1:${String(tlsPort)}`;
    await assert.rejects(
      withConnection(settings(url, certificates.caFile), (redis) => redis.ping()),
      /WRONGPASS|invalid username-password/,
    );
  });

  it('the database number of the URL is used', async () => {
    const url = `rediss://relay:relay-secret@127.0.0.1:${String(tlsPort)}/3`;
    await withConnection(settings(url, certificates.caFile), (redis) =>
      redis.set('db-check', 'three'),
    );
    assert.equal(await redisCli(server.port, ['-n', '3', 'GET', 'db-check']), 'three');
  });
});

describe('Redis Sentinel and WAIT (real primary, replica and three sentinels)', () => {
  let group: SentinelGroup;
  const viaSentinels = (): RedisConnectionSettings => ({
    ...plainRedisSettings('redis://ignored.invalid:1/0'),
    sentinels: group.sentinelList.split(',').map((entry) => {
      const [host = '', port = ''] = entry.split(':');
      return { host, port: Number(port) };
    }),
    sentinelMaster: group.master,
  });

  before(async () => {
    group = await startRedisSentinelGroup();
  });

  after(async () => {
    await group.cleanup();
  });

  it('connects to the primary the sentinels name (REDIS_URL host unused)', async () => {
    const primaryPort = await group.primaryPort();
    const role = await withConnection(viaSentinels(), async (redis) => {
      await redis.set('sentinel-check', 'written');
      return redis.role();
    });
    assert.equal(role[0], 'master');
    assert.equal(await redisCli(primaryPort, ['GET', 'sentinel-check']), 'written');
  });

  it('an unknown master name is an error, not a hang', async () => {
    await assert.rejects(
      withConnection({ ...viaSentinels(), sentinelMaster: 'no-such-master' }, (redis) =>
        redis.ping(),
      ),
    );
  });

  it('WAIT confirms writes on the replica, and one WAIT answers concurrent callers', async () => {
    await withConnection(viaSentinels(), async (redis) => {
      const replicas = createReplicaWait(redis, 1);
      await redis.config('RESETSTAT');
      const writes = Array.from({ length: 20 }, async (_, index) => {
        await redis.set(`wait-check-${String(index)}`, 'x');
        return replicas.confirm(2000);
      });
      const confirmed = await Promise.all(writes);
      assert.deepEqual(new Set(confirmed), new Set([true]));
      const stats = await redis.info('commandstats');
      const waits = Number(/cmdstat_wait:calls=(\d+)/.exec(stats)?.[1] ?? 0);
      assert.ok(waits >= 1 && waits < 20, `${String(waits)} WAITs for 20 callers`);
    });
  });

  it('WAIT with the replica stopped: not confirmed, within the timeout', async () => {
    const primaryPort = await group.primaryPort();
    const replica = group.servers.find((server) => server.port !== primaryPort);
    assert.ok(replica);
    replica.pause();
    try {
      await withConnection(viaSentinels(), async (redis) => {
        await redis.set('wait-lost', 'x');
        const started = Date.now();
        assert.equal(await createReplicaWait(redis, 1).confirm(300), false);
        assert.ok(Date.now() - started < 2000, 'answered near its timeout');
        // More replicas than exist: never confirmed either.
        assert.equal(await createReplicaWait(redis, 2).confirm(100), false);
      });
    } finally {
      replica.resume();
    }
  });
});
