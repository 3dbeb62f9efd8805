import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authenticate, parseCredentials } from '../src/index.ts';

const { users } = parseCredentials(
  [
    'printer correct horse',
    'scanner $2y$07$usesomesillystringfore2uDLvp1Ii2e./U9C8sBjqp8I90dH6hi',
    'app $argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4',
  ].join('\n'),
);

describe('authenticate', () => {
  const rows: readonly (readonly [username: string, password: string, expected: string])[] = [
    ['printer', 'correct horse', 'ok'],
    ['printer', 'correct', 'bad-credentials'],
    ['scanner', 'rasmuslerdorf', 'ok'],
    ['scanner', 'rasmus', 'bad-credentials'],
    ['app', 'password', 'ok'],
    ['app', 'Password', 'bad-credentials'],
    ['Printer', 'correct horse', 'bad-credentials'],
    ['nobody', 'correct horse', 'bad-credentials'],
    ['', '', 'bad-credentials'],
  ];
  for (const [username, password, expected] of rows) {
    it(`${JSON.stringify(username)} / ${JSON.stringify(password)} -> ${expected}`, async () => {
      assert.equal(await authenticate(users, username, password), expected);
    });
  }

  it('an unknown user costs a hash verification, like a wrong password', async () => {
    // With only bcrypt users, the dummy is a cost-12 bcrypt hash: far slower than a map miss.
    const bcryptOnly = parseCredentials(
      'scanner $2b$12$8KkKyO/1Lu/GesdUv3VHtuLGng7.tvWLPHlEdJTUqB9OPIfwiC/Pu',
    ).users;
    const started = performance.now();
    assert.equal(await authenticate(bcryptOnly, 'nobody', 'x'), 'bad-credentials');
    assert.ok(performance.now() - started > 20, 'answered without verifying a hash');
  });

  it('an empty user list refuses everyone', async () => {
    assert.equal(await authenticate(new Map(), 'printer', 'correct horse'), 'bad-credentials');
  });
});
