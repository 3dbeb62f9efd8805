import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatScryptHash, parseScryptHash, scryptMemoryBytes } from '../src/scrypt-hash.ts';

const RFC_7914 =
  '$scrypt$ln=10,r=8,p=16$TmFDbA$/bq+HJ00cgB4VucZDQHp/nxq18vII3gw53N2Y0s3MWIurzDZLiKjiG/xCSedmDDaxyevuUqD7m2DYMvfoswGQA';
const KEY_32 = '9NpAd/rtlEZWaqkMmxmEB+IlL8M/p3rHLnGE6EEASXI';

describe('parseScryptHash', () => {
  it('reads parameters, salt and key, and formats them back unchanged', () => {
    const hash = parseScryptHash(RFC_7914);
    assert.ok(hash);
    assert.deepEqual([hash.logN, hash.r, hash.p], [10, 8, 16]);
    assert.equal(hash.salt.toString('utf8'), 'NaCl');
    assert.equal(hash.key.length, 64);
    assert.equal(formatScryptHash(hash), RFC_7914);
  });

  const malformed: readonly (readonly [why: string, text: string])[] = [
    ['another scheme', `$scryp$ln=10,r=8,p=1$TmFDbA$${KEY_32}`],
    ['parameters out of order', `$scrypt$r=8,ln=10,p=1$TmFDbA$${KEY_32}`],
    ['a missing parameter', `$scrypt$ln=10,r=8$TmFDbA$${KEY_32}`],
    ['a leading zero', `$scrypt$ln=010,r=8,p=1$TmFDbA$${KEY_32}`],
    ['ln=0', `$scrypt$ln=0,r=8,p=1$TmFDbA$${KEY_32}`],
    ['padding', `$scrypt$ln=10,r=8,p=1$TmFDbA==$${KEY_32}`],
    ['base64url alphabet', `$scrypt$ln=10,r=8,p=1$TmFDbA$${KEY_32.replace('/', '_')}`],
    ['an impossible base64 length', `$scrypt$ln=10,r=8,p=1$TmFDb$${KEY_32}`],
    ['an empty salt', `$scrypt$ln=10,r=8,p=1$$${KEY_32}`],
    ['a key shorter than 16 bytes', '$scrypt$ln=10,r=8,p=1$TmFDbA$AAAAAAAAAAAAAAAAAAAA'],
    ['a key longer than 64 bytes', `$scrypt$ln=10,r=8,p=1$TmFDbA$${'A'.repeat(88)}`],
    ['trailing text', `$scrypt$ln=10,r=8,p=1$TmFDbA$${KEY_32}$`],
  ];
  it('reads costly parameters too: the memory cap is hashMemoryBytes', () => {
    assert.equal(parseScryptHash(`$scrypt$ln=21,r=8,p=1$TmFDbA$${KEY_32}`)?.logN, 21);
  });

  for (const [why, text] of malformed) {
    it(`refuses ${why}`, () => {
      assert.equal(parseScryptHash(text), undefined);
    });
  }
});

describe('scryptMemoryBytes', () => {
  it('is 64 MiB and a little for the default N = 2^16, r = 8, p = 2', () => {
    assert.equal(scryptMemoryBytes({ logN: 16, r: 8, p: 2 }), 128 * 8 * (2 ** 16 + 2 + 2));
  });
});
