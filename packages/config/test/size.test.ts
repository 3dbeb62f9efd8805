import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidValueError } from '../src/errors.ts';
import { formatSize, parseSize } from '../src/size.ts';

const MiB = 1024 ** 2;

const VALID: readonly (readonly [string, number])[] = [
  ['1048576', MiB],
  ['0', 0],
  ['512b', 512],
  ['512B', 512],
  ['512k', 512 * 1024],
  ['512K', 512 * 1024],
  ['512kb', 512 * 1024],
  ['512KiB', 512 * 1024],
  ['25m', 25 * MiB],
  ['25M', 25 * MiB],
  ['25MB', 25 * MiB],
  ['25mb', 25 * MiB],
  ['25MiB', 25 * MiB],
  ['1g', 1024 ** 3],
  ['1GiB', 1024 ** 3],
  ['1.5m', 1.5 * MiB],
  ['0.3k', 307], // rounded down to whole bytes
  [' 1k ', 1024],
];

const INVALID: readonly (readonly [string, RegExp])[] = [
  ['', /must be a size/],
  ['-1m', /must not be negative, got "-1m"/],
  ['25x', /must be a size .*, got "25x"/],
  ['25 MB', /must be a size/],
  ['1.5', /must be a size/], // decimals only with a unit
  ['m', /must be a size/],
  ['512ib', /must be a size/],
  ['1t', /must be a size/],
  ['1e6', /must be a size/],
  ['25mbb', /must be a size/],
  ['25bm', /must be a size/],
  ['lots', /must be a size/],
  ['99999999999999999999g', /is too large/],
];

describe('parseSize', () => {
  for (const [text, bytes] of VALID) {
    it(`reads ${JSON.stringify(text)} as ${bytes} bytes`, () => {
      assert.equal(parseSize(text), bytes);
    });
  }
  for (const [text, message] of INVALID) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      assert.throws(
        () => parseSize(text),
        (error: unknown) => {
          assert.ok(error instanceof InvalidValueError);
          assert.match(error.message, message);
          return true;
        },
      );
    });
  }
});

describe('formatSize', () => {
  const CASES: readonly (readonly [number, string])[] = [
    [0, '0'],
    [1000, '1000'],
    [1024, '1k'],
    [1536, '1536'],
    [25 * MiB, '25m'],
    [1024 ** 3, '1g'],
  ];
  for (const [bytes, text] of CASES) {
    it(`writes ${bytes} bytes as ${text}, which reads back`, () => {
      assert.equal(formatSize(bytes), text);
      assert.equal(parseSize(text), bytes);
    });
  }
});
