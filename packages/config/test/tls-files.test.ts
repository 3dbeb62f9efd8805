import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { ConfigError, loadIngressConfig, type Environment } from '../src/index.ts';
import { FIXTURES, createTempDir } from './temp-files.ts';

const HOST = { hostname: 'relay.example.com' };

const temp = createTempDir();
after(() => {
  temp.remove();
});
const notPem = temp.file('not.pem', 'hello\n');

function problemsOf(env: Environment): readonly string[] {
  try {
    loadIngressConfig(env, HOST);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return assert.fail('expected a ConfigError');
}

describe('TLS certificate and key', () => {
  it('are used as a pair', () => {
    const config = loadIngressConfig(
      { TLS_CERT_FILE: FIXTURES.cert, TLS_KEY_FILE: FIXTURES.key },
      HOST,
    );
    assert.deepEqual(config.tls, { certFile: FIXTURES.cert, keyFile: FIXTURES.key });
  });

  it('allow SMTPS_PORT', () => {
    const env = { TLS_CERT_FILE: FIXTURES.cert, TLS_KEY_FILE: FIXTURES.key, SMTPS_PORT: '4650' };
    assert.equal(loadIngressConfig(env, HOST).smtpsPort, 4650);
  });

  const ROWS: readonly (readonly [string, Environment, readonly string[]])[] = [
    [
      'certificate without key',
      { TLS_CERT_FILE: FIXTURES.cert },
      ['TLS_KEY_FILE: required when TLS_CERT_FILE is set'],
    ],
    [
      'key without certificate',
      { TLS_KEY_FILE: FIXTURES.key },
      ['TLS_CERT_FILE: required when TLS_KEY_FILE is set'],
    ],
    [
      'key of another certificate',
      { TLS_CERT_FILE: FIXTURES.cert, TLS_KEY_FILE: FIXTURES.otherKey },
      ['TLS_KEY_FILE: is not the private key of the certificate in TLS_CERT_FILE'],
    ],
    [
      'files swapped',
      { TLS_CERT_FILE: FIXTURES.key, TLS_KEY_FILE: FIXTURES.cert },
      [
        `TLS_CERT_FILE: must hold a PEM certificate ("-----BEGIN CERTIFICATE-----"), but "${FIXTURES.key}" does not`,
        `TLS_KEY_FILE: must hold an unencrypted PEM private key, but "${FIXTURES.cert}" does not`,
      ],
    ],
    [
      'a file that is no PEM',
      { TLS_CERT_FILE: notPem, TLS_KEY_FILE: FIXTURES.key },
      [
        `TLS_CERT_FILE: must hold a PEM certificate ("-----BEGIN CERTIFICATE-----"), but "${notPem}" does not`,
      ],
    ],
    [
      'SMTPS_PORT without either',
      { SMTPS_PORT: '4650' },
      ['SMTPS_PORT: needs TLS_CERT_FILE and TLS_KEY_FILE (implicit TLS needs a certificate)'],
    ],
  ];
  for (const [title, env, problems] of ROWS) {
    it(`refuses ${title}`, () => {
      assert.deepEqual(problemsOf(env), problems);
    });
  }

  it('accepts one file holding both key and certificate for both variables', () => {
    const pem = readFileSync(FIXTURES.key, 'utf8') + readFileSync(FIXTURES.cert, 'utf8');
    const combined = temp.file('combined.pem', pem);
    assert.doesNotThrow(() =>
      loadIngressConfig({ TLS_CERT_FILE: combined, TLS_KEY_FILE: combined }, HOST),
    );
  });
});
