import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  ConfigError,
  loadAllInOneConfig,
  loadIngressConfig,
  loadSenderConfig,
  type Environment,
} from '../src/index.ts';
import { createTempDir } from './temp-files.ts';

const HOST = { hostname: 'relay.example.com' };
const SENDER_ENV = { SMART_HOST: 'smtp.example.com' };

const temp = createTempDir();
after(() => {
  temp.remove();
});
const notPem = temp.file('not.pem', 'hello\n');
const folder = temp.directory('folder');
const missing = temp.missing('missing.pem');

function problemsOf(load: () => unknown): readonly string[] {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return assert.fail('expected a ConfigError');
}

// One row per rule: the environment (on top of SMART_HOST) and every problem it causes.
const ROWS: readonly (readonly [Environment, readonly string[]])[] = [
  [
    { REDIS_URL: 'http://redis:6379' },
    [
      'REDIS_URL: must be a redis:// or rediss:// URL such as redis://redis:6379, got a URL with scheme "http:"',
    ],
  ],
  [
    { REDIS_URL: 'redis://redis:6379/x' },
    ['REDIS_URL: must have a database number as its path (redis://redis:6379/0)'],
  ],
  [
    { REDIS_SENTINELS: 'sentinel-0:26379,sentinel-1' },
    [
      'REDIS_SENTINELS: entry "sentinel-1": must be host:port such as mailpit:1025, got "sentinel-1" (a sentinel listens on 26379 by default)',
    ],
  ],
  [
    { REDIS_SENTINELS: ' , ' },
    ['REDIS_SENTINELS: must list host:port of at least one sentinel, got nothing'],
  ],
  [
    { REDIS_SENTINELS: 'sentinel:26379', REDIS_SENTINEL_MASTER: 'my master' },
    [
      'REDIS_SENTINEL_MASTER: must be the name the sentinels monitor (sentinel monitor <name> ...), without spaces, got "my master"',
    ],
  ],
  [
    { REDIS_SENTINEL_PASSWORD: 'x' },
    ['REDIS_SENTINEL_PASSWORD: is only used with REDIS_SENTINELS, which is not set'],
  ],
  [
    { REDIS_URL: 'redis://redis:6379', REDIS_CA_FILE: notPem },
    ['REDIS_CA_FILE: is only used with TLS: make REDIS_URL rediss://, or unset REDIS_CA_FILE'],
  ],
  [
    { REDIS_WAIT_REPLICAS: '-1' },
    ['REDIS_WAIT_REPLICAS: must be a whole number from 0 to 100, got "-1"'],
  ],
  [
    { QUEUE_PREFIX: 'a:b' },
    [
      'QUEUE_PREFIX: must be 1-64 letters, digits, "-", "_" or "." (no ":", Redis key separator), got "a:b"',
    ],
  ],
  [
    { QUEUE_PREFIX: 'a b' },
    [
      'QUEUE_PREFIX: must be 1-64 letters, digits, "-", "_" or "." (no ":", Redis key separator), got "a b"',
    ],
  ],
  [{ LOG_LEVEL: 'verbose' }, ['LOG_LEVEL: must be one of debug, info, warn, error, got "verbose"']],
  [
    { ADMIN_HOST: 'not a host' },
    ['ADMIN_HOST: must be a host name or IP address, got "not a host"'],
  ],
  [{ ADMIN_PORT: '-1' }, ['ADMIN_PORT: must be a port number 1-65535, or 0 for off, got "-1"']],
  [
    { ADMIN_TOKEN: 'short' },
    ['ADMIN_TOKEN: must be at least 16 characters long (e.g. openssl rand -hex 32)'],
  ],
  [
    { ADMIN_TOKEN: 'sixteen chars long' },
    ['ADMIN_TOKEN: must hold only visible ASCII characters (no spaces)'],
  ],
  [
    { SMTP_HOSTNAME: 'bad_name' },
    ['SMTP_HOSTNAME: must be a domain name such as mail.example.com, got "bad_name"'],
  ],
  [
    { SMTP_HOSTNAME: '192.0.2.1' },
    ['SMTP_HOSTNAME: must be a domain name, not an address, got "192.0.2.1"'],
  ],
  [{ SMTP_HOST: 'bad host' }, ['SMTP_HOST: must be a host name or IP address, got "bad host"']],
  [{ SMTP_PORT: 'abc' }, ['SMTP_PORT: must be a port number 1-65535, got "abc"']],
  [{ SMTP_PORT: '0' }, ['SMTP_PORT: must be a port number 1-65535, got "0"']],
  [{ SMTPS_PORT: '99999' }, ['SMTPS_PORT: must be a port number 1-65535, got "99999"']],
  [
    { TLS_CERT_FILE: missing, TLS_KEY_FILE: missing },
    [
      `TLS_CERT_FILE: must be a readable file, but "${missing}" does not exist`,
      `TLS_KEY_FILE: must be a readable file, but "${missing}" does not exist`,
    ],
  ],
  [
    { SMTP_AUTH_FILE: folder },
    [`SMTP_AUTH_FILE: must be a readable file, but "${folder}" is not a regular file`],
  ],
  [
    { SMTP_AUTH_FILE: missing },
    [`SMTP_AUTH_FILE: must be a readable file, but "${missing}" does not exist`],
  ],
  [
    { SMTP_ALLOW_INSECURE_AUTH: 'maybe' },
    ['SMTP_ALLOW_INSECURE_AUTH: must be true or false, got "maybe"'],
  ],
  [
    { SMTP_RELAY_NETWORKS: '10.0.0.0/8, lan, 10.0.0.300' },
    [
      'SMTP_RELAY_NETWORKS: entries must be an IP address or CIDR such as 10.0.0.0/8 or fd00::/8, got "lan"',
      'SMTP_RELAY_NETWORKS: entries must be an IP address or CIDR such as 10.0.0.0/8 or fd00::/8, got "10.0.0.300"',
    ],
  ],
  [{ SMTP_MAX_MESSAGE_SIZE: '0' }, ['SMTP_MAX_MESSAGE_SIZE: must be more than 0, got "0"']],
  [
    { SMTP_MAX_MESSAGE_SIZE: '1g' },
    ['SMTP_MAX_MESSAGE_SIZE: must be at most 512m (the largest value Redis stores), got "1g"'],
  ],
  [
    { SMTP_MAX_MESSAGE_SIZE: 'big' },
    [
      'SMTP_MAX_MESSAGE_SIZE: must be a size in bytes or with a k, m or g suffix such as 512k or 25m, got "big"',
    ],
  ],
  [
    { SMTP_MAX_RECIPIENTS: '0' },
    ['SMTP_MAX_RECIPIENTS: must be a whole number from 1 to 100000, got "0"'],
  ],
  [
    { SMTP_MAX_CLIENTS: '1e3' },
    ['SMTP_MAX_CLIENTS: must be a whole number from 1 to 1000000, got "1e3"'],
  ],
  [{ SMTP_SOCKET_TIMEOUT: '0s' }, ['SMTP_SOCKET_TIMEOUT: must be more than 0, got "0s"']],
  [
    { SMTP_SOCKET_TIMEOUT: '30d' },
    ['SMTP_SOCKET_TIMEOUT: must be at most 24d (the longest timer Node.js supports), got "30d"'],
  ],
  [
    { SMTP_GREETING_DELAY: '11s' },
    [
      'SMTP_GREETING_DELAY: must be at most 10s (a greeting later than that looks like a dead server), got "11s"',
    ],
  ],
  [{ SMART_HOST: '' }, ['SMART_HOST: required (or set SMART_HOST_PROVIDER)']],
  [
    { SMART_HOST: 'smtp.gmail.com:smtp' },
    ['SMART_HOST: entry "smtp.gmail.com:smtp": must be a port number 1-65535, got "smtp"'],
  ],
  [{ SMART_HOST_PORT: 'smtp' }, ['SMART_HOST_PORT: must be a port number 1-65535, got "smtp"']],
  [
    { SMART_HOST_TLS: 'ssl' },
    ['SMART_HOST_TLS: must be one of implicit, starttls, none, got "ssl"'],
  ],
  [
    { SMART_HOST_USER: 'me' },
    ['SMART_HOST_PASSWORD: required when SMART_HOST_USER is set (or use OAuth2)'],
  ],
  [
    { SMART_HOST_PASSWORD: 'secret' },
    ['SMART_HOST_USER: required when SMART_HOST_PASSWORD is set'],
  ],
  [
    { SMART_HOST_AUTH_METHODS: 'PLAIN' },
    [
      'SMART_HOST_AUTH_METHODS: has no effect without SMART_HOST_USER and SMART_HOST_PASSWORD (or OAuth2)',
    ],
  ],
  [
    { SMART_HOST_AUTH_METHODS: 'NTLM' },
    ['SMART_HOST_AUTH_METHODS: entries must be one of PLAIN, LOGIN, CRAM-MD5, XOAUTH2, got "NTLM"'],
  ],
  [
    { SMART_HOST_CA_FILE: notPem },
    [
      `SMART_HOST_CA_FILE: must hold a PEM certificate ("-----BEGIN CERTIFICATE-----"), but "${notPem}" does not`,
    ],
  ],
  [{ SMART_HOST_TLS_VERIFY: 'nope' }, ['SMART_HOST_TLS_VERIFY: must be true or false, got "nope"']],
  [
    { HELO_NAME: '192.0.2.7' },
    [
      'HELO_NAME: must be a domain name such as mail.example.com or an address literal such as [192.0.2.7], got "192.0.2.7"',
    ],
  ],
  [
    { SENDER_CONCURRENCY: '1001' },
    ['SENDER_CONCURRENCY: must be a whole number from 1 to 1000, got "1001"'],
  ],
  [
    { SMTP_CLIENT_TIMEOUT: 'soon' },
    [
      'SMTP_CLIENT_TIMEOUT: must be a duration such as 250ms, 30s, 5m, 2h or 5d (a bare number is seconds), got "soon"',
    ],
  ],
  [{ RETRY_DELAYS: ',' }, ['RETRY_DELAYS: must list at least one delay, e.g. 1m,5m,1h']],
  [
    { RETRY_DELAYS: '1m,0,-5m' },
    [
      'RETRY_DELAYS: entries must be more than 0, got "0"',
      'RETRY_DELAYS: entries must not be negative, got "-5m"',
    ],
  ],
  [{ MAX_QUEUE_LIFETIME: '0' }, ['MAX_QUEUE_LIFETIME: must be more than 0, got "0"']],
  [
    { POSTMASTER: 'Postmaster <postmaster@example.com>' },
    [
      'POSTMASTER: must be a mail address such as postmaster@example.com (no display name), got "Postmaster <postmaster@example.com>"',
    ],
  ],
  [
    { BOUNCE_TEMPLATE_FILE: missing },
    [`BOUNCE_TEMPLATE_FILE: must be a readable file, but "${missing}" does not exist`],
  ],
  [
    { DKIM_KEYS_DIR: notPem },
    [`DKIM_KEYS_DIR: must be a readable directory, but "${notPem}" is not a directory`],
  ],
  [
    { DKIM_KEYS_DIR: missing },
    [`DKIM_KEYS_DIR: must be a readable directory, but "${missing}" does not exist`],
  ],
  [
    { SMTPS_PORT: '4650' },
    ['SMTPS_PORT: needs TLS_CERT_FILE and TLS_KEY_FILE (implicit TLS needs a certificate)'],
  ],
  [
    { SMTP_PORT: '2526', SMTPS_PORT: '2526', TLS_CERT_FILE: missing },
    [
      'SMTPS_PORT: must differ from SMTP_PORT (both are 2526)',
      `TLS_CERT_FILE: must be a readable file, but "${missing}" does not exist`,
    ],
  ],
  [{ ADMIN_PORT: '2525' }, ['ADMIN_PORT: must differ from SMTP_PORT (both are 2525)']],
  [
    { ADMIN_PORT: 'tcp://10.43.0.7:8080' },
    [
      'ADMIN_PORT: must be a port number 1-65535, or 0 for off, got "tcp://10.43.0.7:8080" (this looks like a Kubernetes service link variable: set enableServiceLinks: false in the pod spec)',
    ],
  ],
  [
    { REDIS_URL_FILE: '/run/secrets/redis' },
    [
      'REDIS_URL_FILE: REDIS_URL cannot be read from a file; only variables ending in _PASSWORD, _SECRET, _TOKEN can',
    ],
  ],
];

describe('every problem names its variable', () => {
  for (const [env, problems] of ROWS) {
    it(JSON.stringify(env), () => {
      assert.deepEqual(
        problemsOf(() => loadAllInOneConfig({ ...SENDER_ENV, ...env }, HOST)),
        problems,
      );
    });
  }
});

describe('each service checks only its own variables', () => {
  it('ingress ignores sender variables (SMART_HOST is not required)', () => {
    assert.doesNotThrow(() =>
      loadIngressConfig({ SMART_HOST_PORT: 'junk', RETRY_DELAYS: 'x' }, HOST),
    );
  });
  it('sender ignores ingress variables', () => {
    assert.doesNotThrow(() =>
      loadSenderConfig({ ...SENDER_ENV, SMTP_PORT: 'junk', SMTPS_PORT: '1' }, HOST),
    );
  });
  it('sender requires SMART_HOST', () => {
    assert.deepEqual(
      problemsOf(() => loadSenderConfig({}, HOST)),
      ['SMART_HOST: required (or set SMART_HOST_PROVIDER)'],
    );
  });
  it('ADMIN_PORT may equal SMTP_PORT in a sender, which has no SMTP listener', () => {
    assert.doesNotThrow(() => loadSenderConfig({ ...SENDER_ENV, ADMIN_PORT: '2525' }, HOST));
  });
});

describe('all problems at once', () => {
  const env = {
    SMTP_PORT: 'abc',
    LOG_LEVEL: 'loud',
    RETRY_DELAYS: '5x',
    SMART_HOST_USER: 'me',
    SMTP_RELAY_NETWORKS: 'foo',
  };
  it('lists every problem in the order of the variable table, not the order found', () => {
    assert.deepEqual(
      problemsOf(() => loadAllInOneConfig(env, HOST)),
      [
        'LOG_LEVEL: must be one of debug, info, warn, error, got "loud"',
        'SMTP_PORT: must be a port number 1-65535, got "abc"',
        'SMTP_RELAY_NETWORKS: entries must be an IP address or CIDR such as 10.0.0.0/8 or fd00::/8, got "foo"',
        'SMART_HOST: required (or set SMART_HOST_PROVIDER)',
        'SMART_HOST_PASSWORD: required when SMART_HOST_USER is set (or use OAuth2)',
        'RETRY_DELAYS: entries must be a duration such as 250ms, 30s, 5m, 2h or 5d (a bare number is seconds), got "5x"',
      ],
    );
  });
  it('renders them as one readable block', () => {
    assert.throws(
      () => loadIngressConfig({ SMTP_PORT: 'abc', LOG_LEVEL: 'loud' }, HOST),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.name, 'ConfigError');
        assert.equal(
          error.message,
          'Invalid configuration:\n' +
            '  - LOG_LEVEL: must be one of debug, info, warn, error, got "loud"\n' +
            '  - SMTP_PORT: must be a port number 1-65535, got "abc"',
        );
        assert.ok(Object.isFrozen(error.problems));
        return true;
      },
    );
  });
  it('renders a single problem as one line', () => {
    assert.throws(
      () => loadIngressConfig({ SMTP_PORT: 'abc' }, HOST),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(
          error.message,
          'Invalid configuration: SMTP_PORT: must be a port number 1-65535, got "abc"',
        );
        return true;
      },
    );
  });
  it('says when a bad SMTP_HOSTNAME came from the machine', () => {
    assert.deepEqual(
      problemsOf(() => loadIngressConfig({}, { hostname: 'my_box' })),
      [
        `SMTP_HOSTNAME: must be a domain name such as mail.example.com, got "my_box" (not set, so this machine's host name was used)`,
      ],
    );
  });
});
