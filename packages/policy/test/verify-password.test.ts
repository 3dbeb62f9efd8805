import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createConcurrencyLimit, verifyPassword, type StoredSecret } from '../src/index.ts';

interface Vector {
  readonly source: string;
  readonly secret: StoredSecret;
  readonly password: string;
}

// Hashes made by other implementations, so these tests check interoperability
// rather than our own code against itself.
const vectors: readonly Vector[] = [
  {
    source: 'bcrypt $2y$, PHP password_compat test suite (testKnownSalt)',
    secret: {
      kind: 'bcrypt',
      value: '$2y$07$usesomesillystringfore2uDLvp1Ii2e./U9C8sBjqp8I90dH6hi',
    },
    password: 'rasmuslerdorf',
  },
  {
    source: 'bcrypt $2y$, PHP manual password_verify example',
    secret: {
      kind: 'bcrypt',
      value: '$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a',
    },
    password: 'rasmuslerdorf',
  },
  {
    source: 'bcrypt $2a$, Openwall crypt_blowfish test vector',
    secret: {
      kind: 'bcrypt',
      value: '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW',
    },
    password: 'U*U',
  },
  {
    source: 'argon2id, phc-winner-argon2 src/test.c (m=64 MiB)',
    secret: {
      kind: 'argon2',
      value:
        '$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc',
    },
    password: 'password',
  },
  {
    source: 'argon2id, phc-winner-argon2 src/test.c (m=256 KiB)',
    secret: {
      kind: 'argon2',
      value: '$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4',
    },
    password: 'password',
  },
  {
    source: 'argon2i v=19, phc-winner-argon2 src/test.c',
    secret: {
      kind: 'argon2',
      value: '$argon2i$v=19$m=256,t=2,p=1$c29tZXNhbHQ$iekCn0Y3spW+sCcFanM2xBT63UP2sghkUoHLIUpWRS8',
    },
    password: 'password',
  },
  {
    source: 'argon2i v=16 (no v= field), phc-winner-argon2 src/test.c',
    secret: {
      kind: 'argon2',
      value: '$argon2i$m=256,t=2,p=1$c29tZXNhbHQ$/U3YPXYsSb3q9XxHvc0MLxur+GP960kN9j7emXX8zwY',
    },
    password: 'password',
  },
  {
    source: 'scrypt, RFC 7914 section 12 test vector in our PHC form',
    secret: {
      kind: 'scrypt',
      value:
        '$scrypt$ln=10,r=8,p=16$TmFDbA$/bq+HJ00cgB4VucZDQHp/nxq18vII3gw53N2Y0s3MWIurzDZLiKjiG/xCSedmDDaxyevuUqD7m2DYMvfoswGQA',
    },
    password: 'password',
  },
  {
    source: 'scrypt, Python hashlib.scrypt (OpenSSL), non-ASCII password with spaces',
    secret: {
      kind: 'scrypt',
      value:
        '$scrypt$ln=14,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$9NpAd/rtlEZWaqkMmxmEB+IlL8M/p3rHLnGE6EEASXI',
    },
    password: 'pässwörd with spaces',
  },
  {
    source: 'plain text (Mercury)',
    secret: { kind: 'plain', value: 'correct horse battery staple' },
    password: 'correct horse battery staple',
  },
];

describe('verifyPassword: hashes from other implementations', () => {
  for (const { source, secret, password } of vectors) {
    it(`accepts the right password: ${source}`, async () => {
      assert.equal(await verifyPassword(secret, password), true);
    });
    it(`refuses a wrong password: ${source}`, async () => {
      assert.equal(await verifyPassword(secret, `${password}x`), false);
      assert.equal(await verifyPassword(secret, ''), false);
    });
  }
});

describe('verifyPassword: corrupt secrets answer false, never throw', () => {
  const corrupt: readonly StoredSecret[] = [
    { kind: 'bcrypt', value: '$2y$07$usesomesillystringfore2uDLvp1Ii2e./U9C8sBjqp8I90dH6h' },
    { kind: 'bcrypt', value: 'not a hash' },
    { kind: 'argon2', value: '$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ' },
    { kind: 'argon2', value: '' },
    { kind: 'scrypt', value: '$scrypt$ln=10,r=8,p=16$TmFDbA$' },
    { kind: 'scrypt', value: '$scrypt$ln=99,r=8,p=1$TmFDbA$AAAAAAAAAAAAAAAAAAAAAA' },
  ];
  for (const secret of corrupt) {
    it(`${secret.kind}: ${JSON.stringify(secret.value)}`, async () => {
      assert.equal(await verifyPassword(secret, 'password'), false);
    });
  }
});

describe('verifyPassword: plain text', () => {
  const rows: readonly (readonly [stored: string, offered: string, expected: boolean])[] = [
    ['secret', 'secret', true],
    ['secret', 'Secret', false],
    ['secret', 'secret ', false],
    ['secret', 'secre', false],
    ['pässwörd', 'pässwörd', true],
    ['pässwörd', 'passwort', false],
  ];
  for (const [stored, offered, expected] of rows) {
    it(`${JSON.stringify(stored)} vs ${JSON.stringify(offered)} -> ${String(expected)}`, async () => {
      assert.equal(await verifyPassword({ kind: 'plain', value: stored }, offered), expected);
    });
  }
});

// A hash over the memory or time limits is never computed, even when it reaches
// verifyPassword without parseCredentials (which refuses it at load): it never
// takes a hashing slot. The bcrypt cost-31 row would take days if it were computed.
describe('verifyPassword: hashes over the limits answer false without being computed', () => {
  const rows: readonly (readonly [why: string, secret: StoredSecret, computed: boolean])[] = [
    [
      'bcrypt cost 07: computed',
      { kind: 'bcrypt', value: '$2y$07$usesomesillystringfore2uDLvp1Ii2e./U9C8sBjqp8I90dH6hi' },
      true,
    ],
    [
      'bcrypt cost 31',
      { kind: 'bcrypt', value: '$2y$31$usesomesillystringfore2uDLvp1Ii2e./U9C8sBjqp8I90dH6hi' },
      false,
    ],
    [
      'argon2id t=100000',
      {
        kind: 'argon2',
        value:
          '$argon2id$v=19$m=256,t=100000,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4',
      },
      false,
    ],
    [
      'scrypt N=2^14, r=8, p=9999',
      {
        kind: 'scrypt',
        value:
          '$scrypt$ln=14,r=8,p=9999$AAECAwQFBgcICQoLDA0ODw$9NpAd/rtlEZWaqkMmxmEB+IlL8M/p3rHLnGE6EEASXI',
      },
      false,
    ],
    [
      'argon2i m=1 GiB',
      {
        kind: 'argon2',
        value:
          '$argon2i$v=19$m=1048576,t=2,p=1$c29tZXNhbHQ$0Vh6ygkiw7XWqD7asxvuPE667zQu1hJ6VdGbI1GtH0E',
      },
      false,
    ],
  ];
  for (const [why, secret, computed] of rows) {
    it(why, async () => {
      const limit = createConcurrencyLimit(1);
      assert.equal(await verifyPassword(secret, 'password', limit), false);
      assert.equal(limit.peak, computed ? 1 : 0);
    });
  }
});
