import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { rootCertificates } from 'node:tls';
import { plainRedisSettings, redisOptions, type RedisConnectionSettings } from '../src/index.ts';
import { SentinelConnectorWithoutStaleDetector } from '../src/sentinel-connector.ts';

const dir = mkdtempSync(join(tmpdir(), 'redis-options-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});
const caFile = join(dir, 'ca.pem');
writeFileSync(caFile, 'PEM OF THE CA\n');

const SENTINELS = [
  { host: 'sentinel-0', port: 26379 },
  { host: 'sentinel-1', port: 26380 },
];

describe('redisOptions', () => {
  const rows: readonly {
    name: string;
    settings: RedisConnectionSettings;
    expected: Record<string, unknown>;
  }[] = [
    {
      name: 'host, port and database 0 by default',
      settings: plainRedisSettings('redis://redis'),
      expected: { host: 'redis', port: 6379, db: 0 },
    },
    {
      name: 'ACL user, percent-encoded password and database',
      settings: plainRedisSettings('redis://relay:p%40ss%3Aw@redis.internal:6380/2'),
      expected: {
        host: 'redis.internal',
        port: 6380,
        username: 'relay',
        password: 'p@ss:w',
        db: 2,
      },
    },
    {
      name: 'password only (requirepass)',
      settings: plainRedisSettings('redis://:secret@[::1]:6379'),
      expected: { host: '::1', port: 6379, password: 'secret', db: 0 },
    },
    {
      name: 'rediss:// verifies against the system CAs, with SNI for a name',
      settings: plainRedisSettings('rediss://redis.example.com:6380'),
      expected: {
        host: 'redis.example.com',
        port: 6380,
        db: 0,
        tls: { servername: 'redis.example.com' },
      },
    },
    {
      name: 'rediss:// with REDIS_CA_FILE: the system CAs and the file, no SNI for an address',
      settings: { ...plainRedisSettings('rediss://127.0.0.1:6380'), caFile },
      expected: {
        host: '127.0.0.1',
        port: 6380,
        db: 0,
        tls: { ca: [...rootCertificates, 'PEM OF THE CA\n'] },
      },
    },
    {
      name: 'sentinels: the master name, credentials of the URL, not its host',
      settings: {
        ...plainRedisSettings('redis://relay:pw@ignored:1/3'),
        sentinels: SENTINELS,
        sentinelMaster: 'relay-primary',
        sentinelPassword: 'watch',
      },
      expected: {
        sentinels: SENTINELS,
        name: 'relay-primary',
        sentinelPassword: 'watch',
        failoverDetector: true,
        Connector: SentinelConnectorWithoutStaleDetector,
        username: 'relay',
        password: 'pw',
        db: 3,
      },
    },
    {
      name: 'sentinels with rediss://: TLS to the sentinels and to the servers they name',
      settings: { ...plainRedisSettings('rediss://ignored:1'), sentinels: SENTINELS, caFile },
      expected: {
        sentinels: SENTINELS,
        name: 'mymaster',
        failoverDetector: true,
        Connector: SentinelConnectorWithoutStaleDetector,
        db: 0,
        tls: { ca: [...rootCertificates, 'PEM OF THE CA\n'] },
        enableTLSForSentinelMode: true,
        sentinelTLS: { ca: [...rootCertificates, 'PEM OF THE CA\n'] },
      },
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const { reconnectOnError, ...options } = redisOptions(row.settings);
      assert.deepEqual(options, row.expected);
      // Through sentinels: off a replica (READONLY) at once, without resending.
      if (row.settings.sentinels !== undefined) {
        assert.ok(reconnectOnError);
        assert.equal(
          reconnectOnError(new Error('READONLY You can’t write against a read only replica.')),
          1,
        );
        assert.equal(reconnectOnError(new Error('ERR something else')), false);
      } else {
        assert.equal(reconnectOnError, undefined);
      }
    });
  }

  it('the caller’s options go on top', () => {
    const options = redisOptions(plainRedisSettings('redis://redis'), {
      connectionName: 'smtp-relay-ingress',
      enableOfflineQueue: false,
    });
    assert.equal(options.connectionName, 'smtp-relay-ingress');
    assert.equal(options.enableOfflineQueue, false);
  });
});
