import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { readVariableTexts } from '../src/environment.ts';
import { ConfigError, isSecretName, loadSenderConfig, type Environment } from '../src/index.ts';
import { createTempDir } from './temp-files.ts';

const HOST = { hostname: 'relay.example.com' };
const SENDER_ENV = { SMART_HOST: 'smtp.example.com', SMART_HOST_USER: 'me' };

const temp = createTempDir();
after(() => {
  temp.remove();
});

function problemsOf(env: Environment): readonly string[] {
  try {
    loadSenderConfig({ ...SENDER_ENV, ...env }, HOST);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return assert.fail('expected a ConfigError');
}

describe('NAME_FILE gives a secret as a file (Docker secrets)', () => {
  const CONTENTS: readonly (readonly [string, string, string])[] = [
    ['one trailing LF is dropped', 'hunter2\n', 'hunter2'],
    ['one trailing CRLF is dropped', 'hunter2\r\n', 'hunter2'],
    ['only one newline is dropped', 'hunter2\n\n', 'hunter2\n'],
    ['no newline', 'hunter2', 'hunter2'],
    ['spaces are kept', '  pass word  \n', '  pass word  '],
  ];
  CONTENTS.forEach(([title, content, password], index) => {
    it(title, () => {
      const path = temp.file(`password-${index}`, content);
      const config = loadSenderConfig({ ...SENDER_ENV, SMART_HOST_PASSWORD_FILE: path }, HOST);
      assert.equal(config.smartHost.password, password);
    });
  });

  it('works for ADMIN_TOKEN too, and its path may carry white space', () => {
    const path = temp.file('admin-token', 'abcdefghijklmnopqrstuvwxyz012345\n');
    const config = loadSenderConfig(
      { ...SENDER_ENV, SMART_HOST_PASSWORD: 'p', ADMIN_TOKEN_FILE: ` ${path} ` },
      HOST,
    );
    assert.equal(config.adminToken, 'abcdefghijklmnopqrstuvwxyz012345');
  });

  it('an empty NAME_FILE counts as unset', () => {
    const config = loadSenderConfig(
      { ...SENDER_ENV, SMART_HOST_PASSWORD: 'p', SMART_HOST_PASSWORD_FILE: '' },
      HOST,
    );
    assert.equal(config.smartHost.password, 'p');
  });

  it('refuses NAME and NAME_FILE together', () => {
    const path = temp.file('both', 'x');
    assert.deepEqual(problemsOf({ SMART_HOST_PASSWORD: 'p', SMART_HOST_PASSWORD_FILE: path }), [
      'SMART_HOST_PASSWORD_FILE: cannot be set together with SMART_HOST_PASSWORD; set only one of them',
    ]);
  });

  it('reports a missing file under NAME_FILE, and not again as a missing password', () => {
    const path = temp.missing('nothing-here');
    assert.deepEqual(problemsOf({ SMART_HOST_PASSWORD_FILE: path }), [
      `SMART_HOST_PASSWORD_FILE: must be a readable file, but "${path}" does not exist`,
    ]);
  });

  it('reports a directory', () => {
    const path = temp.directory('secrets-dir');
    assert.deepEqual(problemsOf({ SMART_HOST_PASSWORD_FILE: path }), [
      `SMART_HOST_PASSWORD_FILE: must be a readable file, but "${path}" is not a regular file`,
    ]);
  });

  it('reports an empty file (an unmounted secret, most likely)', () => {
    const path = temp.file('empty', '\n');
    assert.deepEqual(problemsOf({ SMART_HOST_PASSWORD_FILE: path }), [
      `SMART_HOST_PASSWORD_FILE: "${path}" is empty`,
    ]);
  });

  it('says where a bad value came from, without showing it', () => {
    const path = temp.file('short-token', 'tooshort\n');
    assert.deepEqual(problemsOf({ SMART_HOST_PASSWORD: 'p', ADMIN_TOKEN_FILE: path }), [
      'ADMIN_TOKEN: must be at least 16 characters long (e.g. openssl rand -hex 32) (read from ADMIN_TOKEN_FILE)',
    ]);
  });

  it('does not read plain variables from files', () => {
    assert.deepEqual(
      problemsOf({ SMART_HOST_PASSWORD: 'p', SMART_HOST_USER_FILE: '/run/secrets/user' }),
      [
        'SMART_HOST_USER_FILE: SMART_HOST_USER cannot be read from a file; only variables ending in _PASSWORD, _SECRET, _TOKEN can',
      ],
    );
  });

  it('treats TLS_CERT_FILE-style variables as paths, not as indirections', () => {
    const path = temp.file('template.txt', 'Your message could not be delivered.\n');
    const config = loadSenderConfig(
      { ...SENDER_ENV, SMART_HOST_PASSWORD: 'p', BOUNCE_TEMPLATE_FILE: path },
      HOST,
    );
    assert.equal(config.bounceTemplateFile, path);
  });
});

describe('secrets are recognised by suffix', () => {
  const NAMES: readonly (readonly [string, boolean])[] = [
    ['SMART_HOST_PASSWORD', true],
    ['ADMIN_TOKEN', true],
    ['WEBHOOK_SECRET', true],
    ['SMART_HOST_USER', false],
    ['TLS_KEY_FILE', false],
    ['TOKEN_TTL', false],
  ];
  for (const [name, secret] of NAMES) {
    it(`${name}: ${secret ? 'secret' : 'plain'}`, () => {
      assert.equal(isSecretName(name), secret);
    });
  }

  it('so a future FOO_SECRET can come from FOO_SECRET_FILE without changes', () => {
    const path = temp.file('foo-secret', 's3cret\n');
    const { texts, problems } = readVariableTexts({ FOO_SECRET_FILE: path }, ['FOO_SECRET']);
    assert.deepEqual(problems, []);
    assert.equal(texts['FOO_SECRET'], 's3cret');
  });
});
