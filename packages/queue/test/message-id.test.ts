import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { messageIdTime, newMessageId } from '../src/message-id.ts';

const CROCKFORD_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const NOV_26 = Date.UTC(2026, 10, 26, 12, 48, 18);
const RANDOM_PART = '0123456789ABCDEF';

describe('newMessageId', () => {
  // Expected prefixes: the ULID spec's time encoding (its example 1469918176385 -> 01ARYZ6S41).
  const rows: readonly { name: string; now: number; timePart: string }[] = [
    { name: 'epoch', now: 0, timePart: '0000000000' },
    { name: 'one millisecond', now: 1, timePart: '0000000001' },
    { name: 'last one-digit value', now: 31, timePart: '000000000Z' },
    { name: 'first two-digit value', now: 32, timePart: '0000000010' },
    { name: 'ULID spec example', now: 1469918176385, timePart: '01ARYZ6S41' },
    { name: 'a time in 2026', now: NOV_26, timePart: '01M8BYCJJG' },
    { name: 'largest 48-bit time', now: 2 ** 48 - 1, timePart: '7ZZZZZZZZZ' },
    { name: 'largest 50-bit time', now: 32 ** 10 - 1, timePart: 'ZZZZZZZZZZ' },
  ];
  for (const row of rows) {
    it(`${row.name}: ${String(row.now)} -> ${row.timePart}`, () => {
      const id = newMessageId(row.now);
      assert.match(id, CROCKFORD_ID);
      assert.equal(id.slice(0, 10), row.timePart);
      assert.equal(messageIdTime(id), row.now);
    });
  }

  it('is 26 Crockford base32 characters, never all digits, never ":"', () => {
    // At time 0 the time part is all digits: only the random part can add a letter.
    for (let i = 0; i < 2000; i++) {
      const id = newMessageId(0);
      assert.match(id, CROCKFORD_ID);
      assert.doesNotMatch(id, /^\d+$/);
      assert.ok(!id.includes(':'));
    }
  });

  it('uses the current time by default', () => {
    const before = Date.now();
    const time = messageIdTime(newMessageId());
    const after = Date.now();
    assert.ok(time !== undefined && time >= before && time <= after, String(time));
  });

  it('differs between calls at the same millisecond', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newMessageId(NOV_26)));
    assert.equal(ids.size, 1000);
  });

  it('sorts by time: ids from increasing times compare increasing', () => {
    const times = [
      0,
      1,
      9,
      10,
      31,
      32,
      1023,
      1024,
      2 ** 32,
      NOV_26 - 1,
      NOV_26,
      NOV_26 + 1,
      NOV_26 + 1000,
      2 ** 48,
    ];
    const ids = times.map((time) => newMessageId(time));
    for (let i = 1; i < ids.length; i++) {
      const earlier = ids[i - 1] ?? '';
      const later = ids[i] ?? '';
      assert.ok(earlier < later, `${earlier} < ${later}`);
    }
    assert.deepEqual([...ids].reverse().sort(), ids);
  });
});

describe('messageIdTime', () => {
  const rows: readonly { name: string; id: string; expected: number | undefined }[] = [
    { name: 'ULID spec example', id: `01ARYZ6S41${RANDOM_PART}`, expected: 1469918176385 },
    { name: 'epoch', id: `0000000000${RANDOM_PART}`, expected: 0 },
    { name: 'largest time', id: `ZZZZZZZZZZ${RANDOM_PART}`, expected: 32 ** 10 - 1 },
    { name: 'empty', id: '', expected: undefined },
    { name: '25 characters', id: `01ARYZ6S41${RANDOM_PART.slice(1)}`, expected: undefined },
    { name: '27 characters', id: `01ARYZ6S41${RANDOM_PART}0`, expected: undefined },
    { name: 'bounce id (28 characters)', id: `01ARYZ6S41${RANDOM_PART}-B`, expected: undefined },
    { name: 'I in the time part', id: `01ARYZ6SI1${RANDOM_PART}`, expected: undefined },
    { name: 'L in the time part', id: `01ARYZ6SL1${RANDOM_PART}`, expected: undefined },
    { name: 'O in the time part', id: `01ARYZ6SO1${RANDOM_PART}`, expected: undefined },
    { name: 'U in the time part', id: `01ARYZ6SU1${RANDOM_PART}`, expected: undefined },
    { name: '":" in the time part', id: `01ARYZ6S:1${RANDOM_PART}`, expected: undefined },
    {
      name: '":" in the random part',
      id: `01ARYZ6S41${RANDOM_PART.slice(0, 15)}:`,
      expected: undefined,
    },
    {
      name: 'U in the random part',
      id: `01ARYZ6S41U${RANDOM_PART.slice(1)}`,
      expected: undefined,
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      assert.equal(messageIdTime(row.id), row.expected);
    });
  }
});
