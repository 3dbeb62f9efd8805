import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  authenticate,
  createConcurrencyLimit,
  parseCredentials,
  PASSWORD_HASH_LIMIT,
  type ConcurrencyLimit,
} from '../src/index.ts';

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

  it('an unknown user costs one hash check, like a known one', async () => {
    const checks: string[] = [];
    const base = createConcurrencyLimit(2);
    const counting: ConcurrencyLimit = {
      run(task) {
        checks.push('check');
        return base.run(task);
      },
      active: 0,
      waiting: 0,
      peak: 0,
    };
    assert.equal(
      await authenticate(users, 'scanner', 'wrong', { limit: counting }),
      'bad-credentials',
    );
    assert.equal(
      await authenticate(users, 'nobody', 'wrong', { limit: counting }),
      'bad-credentials',
    );
    assert.deepEqual(checks, ['check', 'check']);
  });

  it('an empty user list refuses everyone', async () => {
    assert.equal(await authenticate(new Map(), 'printer', 'correct horse'), 'bad-credentials');
  });
});

// docs/reference.md "Abuse protection": at most two password hashes are checked at once per
// process. Eight parallel AUTHs, known and unknown users alike.
describe('authenticate: at most two hash checks at once', () => {
  const scrypt = parseCredentials(
    [
      'a $scrypt$ln=14,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$9NpAd/rtlEZWaqkMmxmEB+IlL8M/p3rHLnGE6EEASXI',
      'b $scrypt$ln=14,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$9NpAd/rtlEZWaqkMmxmEB+IlL8M/p3rHLnGE6EEASXI',
    ].join('\n'),
  ).users;
  const attempts = ['a', 'nobody1', 'b', 'nobody2', 'a', 'nobody3', 'b', 'nobody4'] as const;

  it('with a limit of 2, 8 parallel checks never run more than 2 at once', async () => {
    const limit = createConcurrencyLimit(2);
    let observed = 0;
    const sample = setInterval(() => {
      observed = Math.max(observed, limit.active);
    }, 1);
    const results = await Promise.all(
      attempts.map((username) => authenticate(scrypt, username, 'pässwörd with spaces', { limit })),
    );
    clearInterval(sample);
    assert.deepEqual(results, [
      'ok',
      'bad-credentials',
      'ok',
      'bad-credentials',
      'ok',
      'bad-credentials',
      'ok',
      'bad-credentials',
    ]);
    assert.equal(limit.peak, 2, 'the checks ran two at a time, never more');
    assert.ok(observed <= 2);
    assert.deepEqual([limit.active, limit.waiting], [0, 0]);
  });

  it('by default every check of the process goes through one semaphore of 2', async () => {
    await Promise.all(attempts.map((username) => authenticate(scrypt, username, 'x')));
    assert.equal(PASSWORD_HASH_LIMIT.peak, 2);
    assert.equal(PASSWORD_HASH_LIMIT.active, 0);
  });
});
