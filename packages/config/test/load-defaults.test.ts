import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { describe, it } from 'node:test';
import {
  loadAllInOneConfig,
  loadIngressConfig,
  loadSenderConfig,
  type AllInOneConfig,
  type IngressConfig,
  type SenderConfig,
} from '../src/index.ts';
import { FIXTURES } from './temp-files.ts';

// No routing table: the gateway trust rule (relay-trust.test.ts) must not depend on
// the default route of the machine running the tests.
const HOST = { hostname: 'relay.example.com', routeFile: '/nonexistent/route' };
const SENDER_ENV = { SMART_HOST: 'smtp.example.com' };

const COMMON_DEFAULTS = {
  redisUrl: 'redis://127.0.0.1:6379',
  redisPassword: undefined,
  redis: {
    url: 'redis://127.0.0.1:6379',
    sentinels: undefined,
    sentinelMaster: 'mymaster',
    sentinelPassword: undefined,
    caFile: undefined,
  },
  queuePrefix: 'smtp-relay',
  logLevel: 'info',
  adminHost: '0.0.0.0',
  adminPort: 8080,
  adminToken: undefined,
  smtpHostname: 'relay.example.com',
  transcriptRetentionMs: 7 * 86_400_000,
  historyRetentionMs: 7 * 86_400_000,
  historyMaxMessages: 100_000,
} as const;

const INGRESS_DEFAULTS: IngressConfig = {
  ...COMMON_DEFAULTS,
  smtpHost: '0.0.0.0',
  smtpPort: 2525,
  smtpsPort: undefined,
  tls: undefined,
  authFile: undefined,
  sendersFile: undefined,
  allowInsecureAuth: false,
  relayNetworks: [],
  containerBridges: false,
  smtpPublishedOn: undefined,
  maxMessageSize: 25 * 1024 * 1024,
  maxRecipients: 100,
  maxClients: 1000,
  socketTimeoutMs: 60_000,
  redisWaitReplicas: 0,
  filterFile: undefined,
  filterBlockTimeMs: 30 * 60_000,
  authMaxFailures: 5,
  authFailureWindowMs: 15 * 60_000,
  authBlockTimeMs: 15 * 60_000,
  maxClientsPerIp: 50,
  greetingDelayMs: 0,
  tlsMinVersion: 'TLSv1.2',
  proxyProtocol: false,
  proxyTrusted: [],
  transcriptDir: undefined,
};

const SENDER_DEFAULTS: SenderConfig = {
  ...COMMON_DEFAULTS,
  smartHost: {
    provider: undefined,
    region: undefined,
    demo: false,
    oauth2: undefined,
    host: 'smtp.example.com',
    port: 587,
    tls: 'starttls',
    hosts: [{ host: 'smtp.example.com', port: 587, tls: 'starttls' }],
    cooldownMs: 30_000,
    rate: undefined,
    recipientRate: undefined,
    user: undefined,
    password: undefined,
    authMethods: undefined,
    caFile: undefined,
    tlsVerify: true,
  },
  heloName: 'relay.example.com',
  concurrency: 10,
  clientTimeoutMs: 60_000,
  retryDelaysMs: [60_000, 300_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 14_400_000],
  maxQueueLifetimeMs: 5 * 86_400_000,
  failedRetentionMs: 7 * 86_400_000,
  postmaster: 'postmaster@relay.example.com',
  bounceTemplateFile: undefined,
  rewriteFrom: undefined,
  dkimKeysDir: undefined,
  smartHostTranscriptDir: undefined,
  pop3: undefined,
  routesFile: undefined,
  routes: [],
};

describe('defaults', () => {
  it('ingress needs no variable at all', () => {
    assert.deepEqual(loadIngressConfig({}, HOST), INGRESS_DEFAULTS);
  });
  it('sender needs only SMART_HOST', () => {
    assert.deepEqual(loadSenderConfig(SENDER_ENV, HOST), SENDER_DEFAULTS);
  });
  it('all-in-one is ingress and sender together', () => {
    const expected: AllInOneConfig = { ...INGRESS_DEFAULTS, ...SENDER_DEFAULTS };
    assert.deepEqual(loadAllInOneConfig(SENDER_ENV, HOST), expected);
  });
  it("SMTP_HOSTNAME defaults to this machine's host name", () => {
    assert.equal(loadIngressConfig({}).smtpHostname, hostname());
  });
  it('an empty or blank variable counts as unset', () => {
    const config = loadSenderConfig(
      {
        ...SENDER_ENV,
        SMART_HOST_PORT: '',
        SENDER_CONCURRENCY: '  ',
        ADMIN_TOKEN: '',
        HELO_NAME: '',
      },
      HOST,
    );
    assert.equal(config.smartHost.port, 587);
    assert.equal(config.concurrency, 10);
    assert.equal(config.adminToken, undefined);
    assert.equal(config.heloName, 'relay.example.com');
  });
  it('ignores variables that are not ours', () => {
    assert.deepEqual(
      loadIngressConfig({ PATH: '/usr/bin', HOME: '/root' }, HOST),
      INGRESS_DEFAULTS,
    );
  });
});

describe('given values', () => {
  type Row = readonly [
    env: Record<string, string>,
    read: (c: AllInOneConfig) => unknown,
    expected: unknown,
  ];
  const ROWS: readonly Row[] = [
    [{ SMTP_PORT: ' 25 ' }, (c) => c.smtpPort, 25],
    [{ ADMIN_PORT: '0' }, (c) => c.adminPort, 0],
    [{ SMTPS_PORT: '' }, (c) => c.smtpsPort, undefined],
    [{ LOG_LEVEL: 'WARN' }, (c) => c.logLevel, 'warn'],
    [{ SMTP_ALLOW_INSECURE_AUTH: 'yes' }, (c) => c.allowInsecureAuth, true],
    [{ SMTP_ALLOW_INSECURE_AUTH: 'TRUE' }, (c) => c.allowInsecureAuth, true],
    [{ SMTP_ALLOW_INSECURE_AUTH: 'off' }, (c) => c.allowInsecureAuth, false],
    [{ SMART_HOST_TLS_VERIFY: 'false' }, (c) => c.smartHost.tlsVerify, false],
    [{ SMART_HOST_TLS_VERIFY: '0' }, (c) => c.smartHost.tlsVerify, false],
    [{ SMTP_MAX_MESSAGE_SIZE: '10MB' }, (c) => c.maxMessageSize, 10 * 1024 * 1024],
    [{ SMTP_SOCKET_TIMEOUT: '90' }, (c) => c.socketTimeoutMs, 90_000],
    [{ SMTP_SOCKET_TIMEOUT: '24d' }, (c) => c.socketTimeoutMs, 24 * 86_400_000],
    [{ SMTP_GREETING_DELAY: '300ms' }, (c) => c.greetingDelayMs, 300],
    [{ SMTP_GREETING_DELAY: '0' }, (c) => c.greetingDelayMs, 0],
    [{ SMTP_RELAY_NETWORKS: '10.0.0.0/8 ::1' }, (c) => c.relayNetworks, ['10.0.0.0/8', '::1/128']],
    // docker-compose.yml's default: the bridges only while SMTP is published on loopback
    [
      { SMTP_RELAY_NETWORKS: 'container-bridges', SMTP_PUBLISHED_ON: '127.0.0.1:2525' },
      (c) => [c.relayNetworks, c.containerBridges, c.smtpPublishedOn],
      [['172.16.0.0/12', '10.89.0.0/16'], true, '127.0.0.1:2525'],
    ],
    [
      { SMTP_RELAY_NETWORKS: '192.168.10.0/24,Container-Bridges', SMTP_PUBLISHED_ON: '[::1]:' },
      (c) => c.relayNetworks,
      ['192.168.10.0/24', '172.16.0.0/12', '10.89.0.0/16'],
    ],
    [
      { SMTP_RELAY_NETWORKS: 'container-bridges', SMTP_PUBLISHED_ON: '0.0.0.0:2525' },
      (c) => [c.relayNetworks, c.containerBridges],
      [[], true],
    ],
    [{ SMTP_RELAY_NETWORKS: 'container-bridges' }, (c) => c.relayNetworks, []],
    [
      {
        SMTP_RELAY_NETWORKS: 'container-bridges',
        SMTP_PUBLISHED_ON: '127.0.0.1:2525',
        SMTPS_PORT: '4650',
        TLS_CERT_FILE: FIXTURES.cert,
        TLS_KEY_FILE: FIXTURES.key,
      },
      (c) => c.relayNetworks,
      [],
    ],
    [
      { SMTP_RELAY_NETWORKS: '192.168.10.0/24', SMTP_PUBLISHED_ON: '2525' },
      (c) => c.relayNetworks,
      ['192.168.10.0/24'],
    ],
    [{ SMART_HOST: '[2001:db8::25]' }, (c) => c.smartHost.host, '2001:db8::25'],
    [{ SMART_HOST_PORT: '465' }, (c) => c.smartHost.tls, 'implicit'],
    [{ SMART_HOST_PORT: '25' }, (c) => c.smartHost.tls, 'starttls'],
    [{ SMART_HOST_PORT: '465', SMART_HOST_TLS: 'starttls' }, (c) => c.smartHost.tls, 'starttls'],
    [{ SMART_HOST_PORT: '25', SMART_HOST_TLS: 'None' }, (c) => c.smartHost.tls, 'none'],
    [
      { SMART_HOST_AUTH_METHODS: 'plain login', SMART_HOST_USER: 'u', SMART_HOST_PASSWORD: 'p' },
      (c) => c.smartHost.authMethods,
      ['PLAIN', 'LOGIN'],
    ],
    [
      { SMART_HOST_USER: ' me@example.com ', SMART_HOST_PASSWORD: ' pass word ' },
      (c) => [c.smartHost.user, c.smartHost.password],
      ['me@example.com', ' pass word '],
    ],
    [
      { SMTP_HOSTNAME: 'mx.example.net' },
      (c) => [c.heloName, c.postmaster],
      ['mx.example.net', 'postmaster@mx.example.net'],
    ],
    [{ HELO_NAME: '[192.0.2.7]' }, (c) => c.heloName, '[192.0.2.7]'],
    [{ POSTMASTER: 'bounces@example.org' }, (c) => c.postmaster, 'bounces@example.org'],
    [{ RETRY_DELAYS: '30s, 2m' }, (c) => c.retryDelaysMs, [30_000, 120_000]],
    [{ MAX_QUEUE_LIFETIME: '12h' }, (c) => c.maxQueueLifetimeMs, 12 * 3_600_000],
    [{ SENDER_CONCURRENCY: '1000' }, (c) => c.concurrency, 1000],
    [
      { REDIS_URL: 'rediss://:pw@redis.internal:6380/1' },
      (c) => c.redisUrl,
      'rediss://:pw@redis.internal:6380/1',
    ],
    [
      { REDIS_URL: 'redis://redis:6379', REDIS_PASSWORD: 'p@ss:w/rd%' },
      (c) => [c.redisUrl, c.redisPassword],
      ['redis://:p%40ss%3Aw%2Frd%25@redis:6379', 'p@ss:w/rd%'],
    ],
    [
      { REDIS_URL: 'rediss://relay@redis:6380/2', REDIS_PASSWORD: 'secret' },
      (c) => c.redisUrl,
      'rediss://relay:secret@redis:6380/2',
    ],
    [
      {
        REDIS_URL: 'rediss://relay@ignored:1/2',
        REDIS_PASSWORD: 'secret',
        REDIS_SENTINELS: 'sentinel-0:26379, [2001:db8::1]:26380',
        REDIS_SENTINEL_MASTER: 'relay-primary',
        REDIS_SENTINEL_PASSWORD: 'watch',
      },
      (c) => c.redis,
      {
        url: 'rediss://relay:secret@ignored:1/2',
        sentinels: [
          { host: 'sentinel-0', port: 26379 },
          { host: '2001:db8::1', port: 26380 },
        ],
        sentinelMaster: 'relay-primary',
        sentinelPassword: 'watch',
        caFile: undefined,
      },
    ],
    [{ QUEUE_PREFIX: 'relay-a.prod_1' }, (c) => c.queuePrefix, 'relay-a.prod_1'],
    [{ ADMIN_TOKEN: 'abcdefghijklmnop' }, (c) => c.adminToken, 'abcdefghijklmnop'],
  ];
  for (const [env, read, expected] of ROWS) {
    it(JSON.stringify(env), () => {
      assert.deepEqual(read(loadAllInOneConfig({ ...SENDER_ENV, ...env }, HOST)), expected);
    });
  }
});

describe('the result is deep-frozen', () => {
  const config = loadAllInOneConfig(
    {
      ...SENDER_ENV,
      SMTP_RELAY_NETWORKS: '10.0.0.0/8',
      SMART_HOST_AUTH_METHODS: 'PLAIN',
      SMART_HOST_USER: 'u',
      SMART_HOST_PASSWORD: 'p',
    },
    HOST,
  );
  const PARTS: readonly (readonly [string, object])[] = [
    ['config', config],
    ['smartHost', config.smartHost],
    ['relayNetworks', config.relayNetworks],
    ['retryDelaysMs', config.retryDelaysMs],
    ['authMethods', config.smartHost.authMethods ?? {}],
  ];
  for (const [name, part] of PARTS) {
    it(name, () => {
      assert.ok(Object.isFrozen(part));
    });
  }
  it('assignment throws (modules are strict)', () => {
    assert.throws(() => {
      (config as { smtpPort: number }).smtpPort = 25;
    }, TypeError);
    assert.throws(() => {
      (config.retryDelaysMs as number[]).push(1);
    }, TypeError);
  });
  it('two loads share nothing', () => {
    const other = loadAllInOneConfig(SENDER_ENV, HOST);
    assert.notEqual(other.retryDelaysMs, loadAllInOneConfig(SENDER_ENV, HOST).retryDelaysMs);
  });
});
