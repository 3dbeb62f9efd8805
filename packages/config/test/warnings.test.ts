import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  findConfigWarnings,
  loadAllInOneConfig,
  loadIngressConfig,
  loadSenderConfig,
  type Environment,
} from '../src/index.ts';
import { FIXTURES } from './temp-files.ts';

const HOST = { hostname: 'relay.example.com' };
// A sane ingress: relays for the LAN, so no "nobody can relay" warning.
const INGRESS_ENV = { SMTP_RELAY_NETWORKS: '10.0.0.0/8' };
const SENDER_ENV = { SMART_HOST: 'smtp.example.com' };

function ingressWarnings(env: Environment): string[] {
  const full = { ...INGRESS_ENV, ...env };
  return findConfigWarnings(full, loadIngressConfig(full, HOST));
}

function senderWarnings(env: Environment): string[] {
  const full = { ...SENDER_ENV, ...env };
  return findConfigWarnings(full, loadSenderConfig(full, HOST));
}

describe('findConfigWarnings', () => {
  it('has nothing to say about a sane configuration', () => {
    assert.deepEqual(
      ingressWarnings({ PATH: '/usr/bin', HOSTNAME: 'abc', NODE_VERSION: '24' }),
      [],
    );
    assert.deepEqual(senderWarnings({}), []);
  });

  const TYPOS: readonly (readonly [string, string])[] = [
    ['SMTP_MAX_MESSAGE_SIZ', 'SMTP_MAX_MESSAGE_SIZE'],
    ['SMPT_PORT', 'SMTP_PORT'],
    ['smtp_port', 'SMTP_PORT'],
    ['ADMIN_TOKEN_FLE', 'ADMIN_TOKEN_FILE'],
    ['REDIS_UR', 'REDIS_URL'],
  ];
  for (const [typo, meant] of TYPOS) {
    it(`points out ${typo}`, () => {
      assert.deepEqual(ingressWarnings({ [typo]: 'x' }), [
        `${typo}: unknown variable, ignored; did you mean ${meant}?`,
      ]);
    });
  }

  it('ignores Kubernetes service link variables', () => {
    assert.deepEqual(
      ingressWarnings({ REDIS_SERVICE_HOST: '10.43.0.5', SMTP_PORT_2525_TCP_ADDR: '10.43.0.6' }),
      [],
    );
  });

  const INGRESS: readonly (readonly [string, Environment, RegExp])[] = [
    [
      'nobody can relay',
      { SMTP_RELAY_NETWORKS: '' },
      /^SMTP_RELAY_NETWORKS: empty and SMTP_AUTH_FILE is unset/,
    ],
    [
      'AUTH without TLS',
      { SMTP_AUTH_FILE: FIXTURES.cert },
      /^SMTP_AUTH_FILE: AUTH is offered only over TLS/,
    ],
  ];
  for (const [title, env, warning] of INGRESS) {
    it(`warns: ${title}`, () => {
      const warnings = ingressWarnings(env);
      assert.equal(warnings.length, 1, warnings.join('\n'));
      assert.match(warnings[0] ?? '', warning);
    });
  }

  it('does not warn about AUTH when TLS or insecure AUTH is configured', () => {
    assert.deepEqual(
      ingressWarnings({ SMTP_AUTH_FILE: FIXTURES.cert, SMTP_ALLOW_INSECURE_AUTH: 'true' }),
      [],
    );
  });

  const SENDER: readonly (readonly [string, Environment, string])[] = [
    [
      'STARTTLS on 465',
      { SMART_HOST_PORT: '465', SMART_HOST_TLS: 'starttls' },
      'SMART_HOST_TLS: starttls on port 465, which normally speaks implicit TLS',
    ],
    [
      'implicit TLS on 587',
      { SMART_HOST_TLS: 'implicit' },
      'SMART_HOST_TLS: implicit on port 587, which normally uses STARTTLS',
    ],
    [
      'a password in clear text',
      { SMART_HOST_TLS: 'none', SMART_HOST_USER: 'u', SMART_HOST_PASSWORD: 'p' },
      'SMART_HOST_TLS: none, so SMART_HOST_PASSWORD is sent unencrypted',
    ],
    [
      'no certificate check',
      { SMART_HOST_TLS_VERIFY: 'false' },
      "SMART_HOST_TLS_VERIFY: false, so the smart host's certificate is not checked",
    ],
  ];
  for (const [title, env, warning] of SENDER) {
    it(`warns: ${title}`, () => {
      assert.deepEqual(senderWarnings(env), [warning]);
    });
  }

  it('checks both halves of an all-in-one config', () => {
    const env = { ...SENDER_ENV, SMART_HOST_TLS_VERIFY: 'no' };
    assert.equal(findConfigWarnings(env, loadAllInOneConfig(env, HOST)).length, 2);
  });
});
