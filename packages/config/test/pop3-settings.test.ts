import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ConfigError,
  formatConfig,
  loadSenderConfig,
  type Environment,
  type Pop3Config,
} from '../src/index.ts';

// docs/reference.md "POP3 before SMTP": SMART_HOST_POP3_* with the port derived from the
// TLS mode, and the rules that keep the POP3 login complete.

const HOST = { hostname: 'relay.example.com' };
const LOGIN = {
  SMART_HOST: 'smtp.isp.example',
  SMART_HOST_USER: 'relay',
  SMART_HOST_PASSWORD: 'secret',
};

function pop3Of(env: Environment): Pop3Config | undefined {
  return loadSenderConfig({ ...LOGIN, ...env }, HOST).pop3;
}

function problemsOf(env: Environment): readonly string[] {
  try {
    loadSenderConfig({ SMART_HOST: 'smtp.isp.example', ...env }, HOST);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('POP3 before SMTP settings', () => {
  it('is off without SMART_HOST_POP3_HOST', () => {
    assert.equal(pop3Of({}), undefined);
  });

  const SETTINGS: readonly (readonly [string, Environment, Pop3Config])[] = [
    [
      'implicit TLS on 995 and a login every 5 minutes by default',
      { SMART_HOST_POP3_HOST: 'pop.isp.example' },
      { host: 'pop.isp.example', port: 995, tls: 'implicit', intervalMs: 300_000 },
    ],
    [
      'STLS on 110',
      { SMART_HOST_POP3_HOST: 'pop.isp.example', SMART_HOST_POP3_TLS: 'starttls' },
      { host: 'pop.isp.example', port: 110, tls: 'starttls', intervalMs: 300_000 },
    ],
    [
      'plain text on 110',
      { SMART_HOST_POP3_HOST: '192.0.2.5', SMART_HOST_POP3_TLS: 'none' },
      { host: '192.0.2.5', port: 110, tls: 'none', intervalMs: 300_000 },
    ],
    [
      'an explicit port and interval win',
      {
        SMART_HOST_POP3_HOST: 'pop.isp.example',
        SMART_HOST_POP3_PORT: '1995',
        SMART_HOST_POP3_INTERVAL: '90s',
      },
      { host: 'pop.isp.example', port: 1995, tls: 'implicit', intervalMs: 90_000 },
    ],
  ];
  for (const [title, env, expected] of SETTINGS) {
    it(title, () => {
      assert.deepEqual(pop3Of(env), expected);
    });
  }

  it('shows its values in `config`, the password redacted', () => {
    const config = loadSenderConfig({ ...LOGIN, SMART_HOST_POP3_HOST: 'pop.isp.example' }, HOST);
    const text = formatConfig(config);
    assert.match(text, /^SMART_HOST_POP3_HOST=pop\.isp\.example$/m);
    assert.match(text, /^SMART_HOST_POP3_PORT=995$/m);
    assert.match(text, /^SMART_HOST_POP3_TLS=implicit$/m);
    assert.match(text, /^SMART_HOST_POP3_INTERVAL=5m$/m);
    assert.ok(!text.includes('secret'));
  });

  // One row per rule: the environment (on top of SMART_HOST) and every problem it causes.
  const PROBLEMS: readonly (readonly [Environment, readonly string[]])[] = [
    [
      { SMART_HOST_POP3_HOST: 'pop.isp.example' },
      ['SMART_HOST_POP3_HOST: needs SMART_HOST_USER and SMART_HOST_PASSWORD (the POP3 login)'],
    ],
    [
      // The password rule names the missing password too.
      { SMART_HOST_POP3_HOST: 'pop.isp.example', SMART_HOST_USER: 'relay' },
      [
        'SMART_HOST_PASSWORD: required when SMART_HOST_USER is set (or use OAuth2)',
        'SMART_HOST_POP3_HOST: needs SMART_HOST_PASSWORD (the POP3 login)',
      ],
    ],
    [
      {
        SMART_HOST_POP3_HOST: 'pop.isp.example',
        SMART_HOST_USER: 'printer@example.com',
        SMART_HOST_OAUTH2_CLIENT_ID: 'app',
        SMART_HOST_OAUTH2_CLIENT_SECRET: 'app-secret',
        SMART_HOST_OAUTH2_TENANT: 'example.onmicrosoft.com',
        SMART_HOST_OAUTH2_PROVIDER: 'microsoft',
      },
      [
        'SMART_HOST_POP3_HOST: cannot be combined with OAuth2 (SMART_HOST_OAUTH2_* variables): the POP3 login needs SMART_HOST_USER and SMART_HOST_PASSWORD',
      ],
    ],
    [
      { ...LOGIN, SMART_HOST_POP3_HOST: 'pop.isp.example', SMART_HOST_AUTH_METHODS: 'PLAIN' },
      [
        'SMART_HOST_AUTH_METHODS: has no effect with SMART_HOST_POP3_HOST: the POP3 login takes the place of SMTP AUTH',
      ],
    ],
    [
      { SMART_HOST_POP3_PORT: '995', SMART_HOST_POP3_TLS: 'implicit' },
      [
        'SMART_HOST_POP3_PORT: has no effect without SMART_HOST_POP3_HOST',
        'SMART_HOST_POP3_TLS: has no effect without SMART_HOST_POP3_HOST',
      ],
    ],
    [
      { SMART_HOST_POP3_INTERVAL: '10m' },
      ['SMART_HOST_POP3_INTERVAL: has no effect without SMART_HOST_POP3_HOST'],
    ],
    [
      { ...LOGIN, SMART_HOST_POP3_HOST: 'pop.isp.example', SMART_HOST_POP3_TLS: 'stls' },
      ['SMART_HOST_POP3_TLS: must be one of implicit, starttls, none, got "stls"'],
    ],
    [
      { ...LOGIN, SMART_HOST_POP3_HOST: 'pop.isp.example:995' },
      [
        'SMART_HOST_POP3_HOST: must be a host name or IP address, got "pop.isp.example:995" (set the port in the matching _PORT variable)',
      ],
    ],
    [
      { ...LOGIN, SMART_HOST_POP3_HOST: 'pop.isp.example', SMART_HOST_POP3_INTERVAL: '500ms' },
      ['SMART_HOST_POP3_INTERVAL: must be at least 1s, got "500ms"'],
    ],
  ];
  for (const [env, expected] of PROBLEMS) {
    it(`refuses ${JSON.stringify(env)}`, () => {
      assert.deepEqual(problemsOf(env), expected);
    });
  }
});
