import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { verify as verifyArgon2 } from '@node-rs/argon2';
import { verify as verifyBcrypt } from '@node-rs/bcrypt';
import {
  chooseDummySecret,
  DEFAULT_DUMMY_SECRET,
  hashParameters,
  verifyPassword,
  type StoredSecret,
} from '../src/index.ts';
import { hashCostProblem } from '../src/hash-limits.ts';
import { parseScryptHash } from '../src/scrypt-hash.ts';

const BCRYPT_07: StoredSecret = {
  kind: 'bcrypt',
  value: '$2y$07$usesomesillystringfore2uDLvp1Ii2e./U9C8sBjqp8I90dH6hi',
};
const ARGON2_256K: StoredSecret = {
  kind: 'argon2',
  value: '$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4',
};
const SCRYPT_16M: StoredSecret = {
  kind: 'scrypt',
  value: '$scrypt$ln=14,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$9NpAd/rtlEZWaqkMmxmEB+IlL8M/p3rHLnGE6EEASXI',
};
const PLAIN: StoredSecret = { kind: 'plain', value: 'correct horse' };
// Over the time limit (parseCredentials refuses them; a map made elsewhere may not).
const BCRYPT_20: StoredSecret = { kind: 'bcrypt', value: BCRYPT_07.value.replace('$07$', '$20$') };
const ARGON2_T1000: StoredSecret = {
  kind: 'argon2',
  value: ARGON2_256K.value.replace('t=2', 't=1000'),
};

const users = (...secrets: StoredSecret[]): ReadonlyMap<string, StoredSecret> =>
  new Map(secrets.map((secret, index) => [`user${String(index)}`, secret]));

describe('chooseDummySecret: which parameters an unknown username is checked with', () => {
  const rows: readonly (readonly [why: string, secrets: StoredSecret[], like: StoredSecret])[] = [
    ['the only set', [SCRYPT_16M], SCRYPT_16M],
    ['the most common set', [SCRYPT_16M, BCRYPT_07, BCRYPT_07, ARGON2_256K], BCRYPT_07],
    ['the most common set, however costly others are', [SCRYPT_16M, PLAIN, PLAIN], PLAIN],
    [
      'of a tie, the costlier (16 MiB scrypt over 256 KiB argon2)',
      [ARGON2_256K, SCRYPT_16M],
      SCRYPT_16M,
    ],
    ['no users: the default argon2id', [], DEFAULT_DUMMY_SECRET],
    [
      'never a set over the limits, however common',
      [BCRYPT_20, BCRYPT_20, ARGON2_T1000, ARGON2_T1000, SCRYPT_16M],
      SCRYPT_16M,
    ],
    [
      'only sets over the limits: the default argon2id',
      [BCRYPT_20, ARGON2_T1000],
      DEFAULT_DUMMY_SECRET,
    ],
  ];
  for (const [why, secrets, like] of rows) {
    it(why, () => {
      const dummy = chooseDummySecret(users(...secrets));
      assert.equal(dummy.kind, like.kind);
      assert.equal(hashParameters(dummy), hashParameters(like));
      // Computed like a known user's hash, never refused at once for its cost.
      assert.equal(hashCostProblem(dummy), undefined);
    });
  }
});

describe('chooseDummySecret: a fresh salt on the same parameters', () => {
  const rows: readonly (readonly [secret: StoredSecret, password: string])[] = [
    [BCRYPT_07, 'rasmuslerdorf'],
    [ARGON2_256K, 'password'],
    [SCRYPT_16M, 'pässwörd with spaces'],
    [PLAIN, 'correct horse'],
  ];
  for (const [secret, password] of rows) {
    it(`${secret.kind}: same length and cost, matches no password, not even the user's`, async () => {
      const dummy = chooseDummySecret(users(secret));
      const again = chooseDummySecret(users(secret));
      assert.notEqual(dummy.value, secret.value);
      assert.notEqual(dummy.value, again.value, 'each choice draws a new salt');
      if (secret.kind !== 'plain') assert.equal(dummy.value.length, secret.value.length);
      assert.equal(await verifyPassword(secret, password), true);
      assert.equal(await verifyPassword(dummy, password), false);
    });
  }

  // A salt the library cannot decode would be refused at once: exactly the fast
  // "no such user" answer the dummy is there to prevent. So: no exception.
  it('the libraries accept the dummy and compute it', async () => {
    assert.equal(await verifyBcrypt('x', chooseDummySecret(users(BCRYPT_07)).value), false);
    for (let round = 0; round < 20; round++) {
      assert.equal(await verifyArgon2(chooseDummySecret(users(ARGON2_256K)).value, 'x'), false);
    }
    const scrypt = parseScryptHash(chooseDummySecret(users(SCRYPT_16M)).value);
    assert.equal(scrypt?.salt.length, 16);
    assert.equal(scrypt.key.length, 32);
  });
});
