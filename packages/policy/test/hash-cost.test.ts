import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashTimeCost, type HashTimeCost } from '../src/hash-cost.ts';
import {
  hashMemoryBytes,
  hashParameters,
  MAX_HASH_MEMORY_BYTES,
  type StoredSecret,
} from '../src/index.ts';

const MIB = 1024 * 1024;
const KEY_32 = '9NpAd/rtlEZWaqkMmxmEB+IlL8M/p3rHLnGE6EEASXI';
const scrypt = (parameters: string): StoredSecret => ({
  kind: 'scrypt',
  value: `$scrypt$${parameters}$AAECAwQFBgcICQoLDA0ODw$${KEY_32}`,
});
const argon2 = (parameters: string): StoredSecret => ({
  kind: 'argon2',
  value: `$argon2id$v=19$${parameters}$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4`,
});
const BCRYPT_31: StoredSecret = {
  kind: 'bcrypt',
  value: '$2b$31$usesomesillystringfore2uDLvp1Ii2e./U9C8sBjqp8I90dH6hi',
};

// README "Security": hashes whose cost needs more than 64 MiB are refused at
// load (hash-limits.test.ts reads them through parseCredentials). scrypt
// allocates 128·r·(N + 2) + 128·r·p bytes (OpenSSL's accounting), argon2 m KiB,
// bcrypt a fixed Blowfish state whatever its cost.
describe('hash memory cost and the 64 MiB cap', () => {
  const rows: readonly (readonly [
    why: string,
    secret: StoredSecret,
    bytes: number,
    ok: boolean,
  ])[] = [
    ['plain text', { kind: 'plain', value: 'secret' }, 0, true],
    ['bcrypt cost 31: slow (refused for its time), but small', BCRYPT_31, 4168, true],
    ['argon2id OWASP (m=19456)', argon2('m=19456,t=2,p=1'), 19 * MIB, true],
    ['argon2id m=64 MiB', argon2('m=65536,t=3,p=4'), 64 * MIB, true],
    ['argon2id m=64 MiB + 64 KiB', argon2('m=65600,t=2,p=1'), 64 * MIB + 64 * 1024, true],
    ['argon2id m=64 MiB + 65 KiB', argon2('m=65601,t=2,p=1'), 64 * MIB + 65 * 1024, false],
    ['argon2id m=1 GiB', argon2('m=1048576,t=2,p=1'), 1024 * MIB, false],
    ['scrypt N=2^14 r=8 p=1', scrypt('ln=14,r=8,p=1'), 128 * 8 * (2 ** 14 + 3), true],
    ['scrypt N=2^16 r=8 p=2 (default)', scrypt('ln=16,r=8,p=2'), 128 * 8 * (2 ** 16 + 4), true],
    ['scrypt N=2^16 r=8 p=1 (passlib)', scrypt('ln=16,r=8,p=1'), 128 * 8 * (2 ** 16 + 3), true],
    ['scrypt N=2^17 r=8 p=1 (128 MiB)', scrypt('ln=17,r=8,p=1'), 128 * 8 * (2 ** 17 + 3), false],
    ['scrypt N=2^20 r=8 p=1 (1 GiB)', scrypt('ln=20,r=8,p=1'), 128 * 8 * (2 ** 20 + 3), false],
    ['scrypt N=2^14 r=64: r counts too', scrypt('ln=14,r=64,p=1'), 128 * 64 * (2 ** 14 + 3), false],
    [
      'scrypt N=2 r=9999 p=9999: p counts too',
      scrypt('ln=1,r=9999,p=9999'),
      128 * 9999 * 10003,
      false,
    ],
    ['scrypt N=2^99: never computed', scrypt('ln=99,r=8,p=1'), 128 * 8 * (2 ** 99 + 3), false],
  ];
  for (const [why, secret, bytes, ok] of rows) {
    it(`${why}: ${String(bytes)} bytes, ${ok ? 'within' : 'over'} the cap`, () => {
      assert.equal(hashMemoryBytes(secret), bytes);
      assert.equal(hashMemoryBytes(secret) <= MAX_HASH_MEMORY_BYTES, ok);
    });
  }

  it('answers Infinity for parameters it cannot read', () => {
    assert.equal(hashMemoryBytes({ kind: 'argon2', value: '$argon2id$m=x' }), Infinity);
    assert.equal(hashMemoryBytes({ kind: 'scrypt', value: '$scrypt$' }), Infinity);
  });
});

// What a check's time grows with, in each algorithm's own unit.
describe('hashTimeCost', () => {
  const rows: readonly (readonly [why: string, secret: StoredSecret, cost?: HashTimeCost])[] = [
    ['plain text: one SHA-256', { kind: 'plain', value: 'secret' }],
    ['bcrypt: its cost, log2 of the rounds', BCRYPT_31, { parameter: 'cost', value: 31 }],
    [
      'bcrypt $2y$ cost 07',
      { kind: 'bcrypt', value: BCRYPT_31.value.replace('$2b$31$', '$2y$07$') },
      { parameter: 'cost', value: 7 },
    ],
    ['argon2: t', argon2('m=19456,t=2,p=1'), { parameter: 't', value: 2 }],
    ['argon2: t, whatever p', argon2('m=65536,t=3,p=4'), { parameter: 't', value: 3 }],
    [
      'argon2: t up to 2^32 - 1 parses',
      argon2('m=8,t=4294967295,p=1'),
      { parameter: 't', value: 4294967295 },
    ],
    [
      'argon2 unreadable',
      { kind: 'argon2', value: '$argon2id$m=x' },
      { parameter: 't', value: Infinity },
    ],
    ['scrypt: N·r·p', scrypt('ln=16,r=8,p=2'), { parameter: 'N·r·p', value: 2 ** 20 }],
    ['scrypt: p multiplies', scrypt('ln=10,r=8,p=16'), { parameter: 'N·r·p', value: 2 ** 17 }],
    [
      'scrypt: r and p need not be powers of two',
      scrypt('ln=4,r=3,p=5'),
      { parameter: 'N·r·p', value: 16 * 3 * 5 },
    ],
    [
      'scrypt unreadable',
      { kind: 'scrypt', value: '$scrypt$' },
      { parameter: 'N·r·p', value: Infinity },
    ],
  ];
  for (const [why, secret, cost] of rows) {
    it(why, () => {
      assert.deepEqual(hashTimeCost(secret), cost);
    });
  }
});

describe('hashParameters', () => {
  const rows: readonly (readonly [a: StoredSecret, b: StoredSecret, same: boolean])[] = [
    [
      scrypt('ln=14,r=8,p=1'),
      { ...scrypt('ln=14,r=8,p=1'), value: scrypt('ln=14,r=8,p=1').value.replace('AAEC', 'ZZEC') },
      true,
    ],
    [scrypt('ln=14,r=8,p=1'), scrypt('ln=15,r=8,p=1'), false],
    [scrypt('ln=14,r=8,p=1'), scrypt('ln=14,r=8,p=2'), false],
    [argon2('m=19456,t=2,p=1'), argon2('m=19456,t=2,p=1'), true],
    [argon2('m=19456,t=2,p=1'), argon2('m=19456,t=3,p=1'), false],
    [BCRYPT_31, { kind: 'bcrypt', value: BCRYPT_31.value.replace('$2b$', '$2y$') }, true],
    [BCRYPT_31, { kind: 'bcrypt', value: BCRYPT_31.value.replace('$31$', '$12$') }, false],
    [{ kind: 'plain', value: 'a' }, { kind: 'plain', value: 'longer' }, true],
  ];
  for (const [a, b, same] of rows) {
    it(`${a.value} vs ${b.value}: ${same ? 'same cost' : 'different cost'}`, () => {
      assert.equal(hashParameters(a) === hashParameters(b), same);
    });
  }
});
