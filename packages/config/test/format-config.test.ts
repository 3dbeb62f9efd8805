import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  VARIABLES,
  formatConfig,
  loadAllInOneConfig,
  loadIngressConfig,
  loadSenderConfig,
  redactSecrets,
  redactUrlCredentials,
} from '../src/index.ts';

const HOST = { hostname: 'relay.example.com' };
const SENDER_ENV = { SMART_HOST: 'smtp.example.com' };

function linesOf(text: string): Map<string, string> {
  return new Map(
    text.split('\n').map((line) => {
      const equals = line.indexOf('=');
      return [line.slice(0, equals), line.slice(equals + 1)] as const;
    }),
  );
}

describe('formatConfig', () => {
  const secrets = {
    ...SENDER_ENV,
    SMART_HOST_USER: 'me@example.com',
    SMART_HOST_PASSWORD: 'hunter2-password',
    ADMIN_TOKEN: 'token-0123456789abcdef',
    REDIS_URL: 'redis://default:redis-pass@redis:6379/0',
  };

  it('prints every variable of an all-in-one config in the order of the variable table', () => {
    const text = formatConfig(loadAllInOneConfig(SENDER_ENV, HOST));
    assert.deepEqual(
      [...linesOf(text).keys()],
      VARIABLES.map(({ name }) => name),
    );
  });

  it('prints only the variables a service uses', () => {
    const ingress = [...linesOf(formatConfig(loadIngressConfig({}, HOST))).keys()];
    const sender = [...linesOf(formatConfig(loadSenderConfig(SENDER_ENV, HOST))).keys()];
    assert.ok(ingress.includes('SMTP_PORT') && ingress.includes('SMTP_HOSTNAME'));
    assert.ok(!ingress.includes('SMART_HOST'));
    assert.ok(sender.includes('SMART_HOST') && sender.includes('SMTP_HOSTNAME'));
    assert.ok(!sender.includes('SMTP_PORT'));
  });

  it('redacts secrets and URL passwords and never prints them', () => {
    const text = formatConfig(loadAllInOneConfig(secrets, HOST));
    const lines = linesOf(text);
    assert.equal(lines.get('SMART_HOST_PASSWORD'), '<redacted>');
    assert.equal(lines.get('ADMIN_TOKEN'), '<redacted>');
    assert.equal(lines.get('REDIS_URL'), 'redis://default:<redacted>@redis:6379/0');
    assert.equal(lines.get('SMART_HOST_USER'), 'me@example.com');
    for (const secret of ['hunter2-password', 'token-0123456789abcdef', 'redis-pass']) {
      assert.ok(!text.includes(secret), secret);
    }
  });

  it('shows unset optional values, secrets included, as <unset>', () => {
    const lines = linesOf(formatConfig(loadAllInOneConfig(SENDER_ENV, HOST)));
    for (const name of [
      'ADMIN_TOKEN',
      'SMART_HOST_PASSWORD',
      'SMTPS_PORT',
      'TLS_CERT_FILE',
      'SMTP_RELAY_NETWORKS',
      'SMART_HOST_AUTH_METHODS',
    ]) {
      assert.equal(lines.get(name), '<unset>', name);
    }
  });

  it('prints durations and sizes with units, as they are written', () => {
    const lines = linesOf(
      formatConfig(loadAllInOneConfig({ ...SENDER_ENV, SMTP_SOCKET_TIMEOUT: '90' }, HOST)),
    );
    assert.equal(lines.get('SMTP_MAX_MESSAGE_SIZE'), '25m');
    assert.equal(lines.get('SMTP_SOCKET_TIMEOUT'), '90s');
    assert.equal(lines.get('RETRY_DELAYS'), '1m,5m,15m,30m,1h,2h,4h');
    assert.equal(lines.get('MAX_QUEUE_LIFETIME'), '5d');
    assert.equal(lines.get('SMART_HOST_TLS'), 'starttls');
    assert.equal(lines.get('POSTMASTER'), 'postmaster@relay.example.com');
  });

  it('reads back into the same configuration (apart from secrets)', () => {
    const env = {
      ...SENDER_ENV,
      SMTP_RELAY_NETWORKS: '10.0.0.0/8 ::1',
      SMART_HOST_PORT: '465',
      SMTP_MAX_MESSAGE_SIZE: '1000',
      RETRY_DELAYS: '90s,1500ms',
      SMART_HOST_AUTH_METHODS: 'login',
      SMART_HOST_USER: 'me',
      SMART_HOST_PASSWORD: 'p',
    };
    const config = loadAllInOneConfig(env, HOST);
    const printed = Object.fromEntries(
      [...linesOf(formatConfig(config))].filter(([, value]) => !value.startsWith('<')),
    );
    const again = loadAllInOneConfig({ ...printed, SMART_HOST_PASSWORD: 'p' }, HOST);
    assert.deepEqual(again, config);
  });
});

describe('redactSecrets', () => {
  it('hides set secrets, keeps unset ones visible, and leaves the original alone', () => {
    const config = loadAllInOneConfig(
      {
        ...SENDER_ENV,
        SMART_HOST_USER: 'me',
        SMART_HOST_PASSWORD: 'hunter2',
        REDIS_URL: 'redis://:pw@redis',
      },
      HOST,
    );
    const redacted = redactSecrets(config);
    assert.equal(redacted.smartHost.password, '<redacted>');
    assert.equal(redacted.smartHost.user, 'me');
    assert.equal(redacted.adminToken, undefined);
    assert.equal(redacted.redisUrl, 'redis://:<redacted>@redis');
    assert.deepEqual(redacted.retryDelaysMs, config.retryDelaysMs);
    assert.equal(config.smartHost.password, 'hunter2');
    assert.ok(!JSON.stringify(redacted).includes('hunter2'));
  });
});

describe('redactUrlCredentials', () => {
  const CASES: readonly (readonly [string, string])[] = [
    ['redis://redis:6379', 'redis://redis:6379'],
    ['redis://:pw@redis:6379', 'redis://:<redacted>@redis:6379'],
    ['rediss://user:pw@redis:6379/1', 'rediss://user:<redacted>@redis:6379/1'],
    ['redis://lonepassword@redis', 'redis://<redacted>@redis'],
    ['not a url', 'not a url'],
  ];
  for (const [url, shown] of CASES) {
    it(url, () => {
      assert.equal(redactUrlCredentials(url), shown);
    });
  }
});
