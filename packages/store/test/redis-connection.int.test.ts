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
  waitFor,
} from '@smtp-relay/testkit';
import { once } from 'node:events';
import { Redis } from 'ioredis';
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

describe('a failover announced while the connection is being re-established (real sentinels)', () => {
  // ioredis keeps the failover detector of a connection that dropped on its
  // own (the primary killed) subscribed to the sentinels. A +switch-master it
  // heard while the next connection was asking a sentinel for the primary
  // interrupted that question, and the client ended for good: every command
  // then failed with "Connection is closed." (docs/adr/015-sentinel-reconnect.md).
  let group: SentinelGroup;

  before(async () => {
    group = await startRedisSentinelGroup();
  });

  after(async () => {
    await group.cleanup();
  });

  const subscribersOn = async (sentinelPort: number): Promise<number> =>
    (await redisCli(sentinelPort, ['CLIENT', 'LIST']))
      .split('\n')
      .filter((line) => /\bsub=[1-9]/.test(line)).length;

  it('the connection reaches the new primary, it does not end', async () => {
    const [firstSentinel, secondSentinel] = group.sentinelPorts;
    assert.ok(firstSentinel !== undefined && secondSentinel !== undefined);
    const settings: RedisConnectionSettings = {
      ...plainRedisSettings('redis://ignored.invalid:1/0'),
      sentinels: group.sentinelPorts.map((port) => ({ host: '127.0.0.1', port })),
      sentinelMaster: group.master,
    };
    const redis = connectRedis(settings, { lazyConnect: true });
    const announcements = new Redis({ host: '127.0.0.1', port: secondSentinel });
    await announcements.subscribe('+switch-master');
    let ended = false;
    redis.on('end', () => {
      ended = true;
    });
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      const oldPrimary = await group.primaryPort();
      // The failover detector listens on every sentinel (and so does the test).
      await waitFor(async () => (await subscribersOn(secondSentinel)) === 2, {
        description: 'the failover detector subscribed',
      });

      // The sentinel asked first stops answering; the primary drops the
      // connection, so the client asks that sentinel again and waits there.
      group.pauseSentinel(0);
      try {
        await redisCli(oldPrimary, ['CLIENT', 'KILL', 'ID', String(await redis.client('ID'))]);
        await waitFor(() => redis.status === 'connecting', {
          description: 'the client reconnecting through the sentinels',
        });
        // Meanwhile another sentinel fails over and announces +switch-master.
        const announced = once(announcements, 'message');
        await redisCli(secondSentinel, ['SENTINEL', 'FAILOVER', group.master]);
        await announced;
        // The detector's copy of the announcement came on its own socket in
        // the same turn of the event loop; let it be read.
        await new Promise((resolve) => setImmediate(resolve));
      } finally {
        group.resumeSentinel(0);
      }

      const newPrimary = await group.waitForFailover(oldPrimary);
      await waitFor(
        () => {
          if (ended) throw new Error('the connection ended for good');
          return redis.status === 'ready';
        },
        { timeoutMs: 20_000, description: 'the connection ready again' },
      );
      await redis.set('after-failover', 'written');
      assert.equal(await redisCli(newPrimary, ['GET', 'after-failover']), 'written');
      assert.equal(ended, false);
    } finally {
      redis.disconnect();
      announcements.disconnect();
    }
  });
});
