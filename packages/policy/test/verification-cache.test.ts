import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StoredSecret } from '../src/stored-secret.ts';
import { createVerificationCache } from '../src/verification-cache.ts';

const secret: StoredSecret = {
  kind: 'bcrypt',
  value: '$2b$12$abcdefghijklmnopqrstuv0123456789ABCDEFGHIJKLMNOPQRSTU',
};
const otherSecret: StoredSecret = {
  kind: 'bcrypt',
  value: '$2b$12$zzzzzzzzzzzzzzzzzzzzzz0123456789ABCDEFGHIJKLMNOPQRSTU',
};

describe('verification cache', () => {
  it('remembers a verified user, password and secret, and nothing else', () => {
    const cache = createVerificationCache();
    cache.add('printer', 'pass', secret);
    const rows: readonly [string, string, StoredSecret, boolean][] = [
      ['printer', 'pass', secret, true],
      ['printer', 'Pass', secret, false],
      ['Printer', 'pass', secret, false],
      ['printer', 'pass', otherSecret, false],
      ['scanner', 'pass', secret, false],
      // The separator keeps "a" + "b\0c" apart from "a\0b" + "c".
      ['printer\0pass', '', secret, false],
    ];
    for (const [user, password, stored, expected] of rows) {
      assert.equal(
        cache.has(user, password, stored),
        expected,
        `${JSON.stringify(user)} / ${JSON.stringify(password)}`,
      );
    }
  });

  it('forgets entries after the TTL', () => {
    let time = 1000;
    const cache = createVerificationCache({ ttlMs: 100, now: () => time });
    cache.add('printer', 'pass', secret);
    time += 99;
    assert.equal(cache.has('printer', 'pass', secret), true);
    time += 2;
    assert.equal(cache.has('printer', 'pass', secret), false);
  });

  it('keeps at most maxEntries, dropping the oldest, and clears', () => {
    const cache = createVerificationCache({ maxEntries: 2 });
    cache.add('a', 'pass', secret);
    cache.add('b', 'pass', secret);
    cache.add('c', 'pass', secret);
    assert.deepEqual(
      ['a', 'b', 'c'].map((user) => cache.has(user, 'pass', secret)),
      [false, true, true],
    );
    cache.clear();
    assert.equal(cache.has('c', 'pass', secret), false);
  });
});
