import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidValueError } from '../src/errors.ts';
import { formatDuration, parseDuration } from '../src/duration.ts';

const VALID: readonly (readonly [string, number])[] = [
  ['250ms', 250],
  ['30s', 30_000],
  ['5m', 300_000],
  ['2h', 7_200_000],
  ['5d', 432_000_000],
  ['30', 30_000], // bare number = seconds
  ['0', 0],
  ['0ms', 0],
  ['1.5s', 1500],
  ['0.5', 500],
  ['1.5ms', 2], // rounded to whole milliseconds
  ['30S', 30_000],
  ['2H', 7_200_000],
  ['250MS', 250],
  [' 30s ', 30_000],
  ['007s', 7000],
];

const INVALID: readonly (readonly [string, RegExp])[] = [
  ['', /must be a duration/],
  ['   ', /must be a duration/],
  ['-5s', /must not be negative, got "-5s"/],
  ['-1', /must not be negative/],
  ['s', /must be a duration/],
  ['5x', /must be a duration .*, got "5x"/],
  ['5 s', /must be a duration/],
  ['1h30m', /must be a duration/],
  ['1e3', /must be a duration/],
  ['.5s', /must be a duration/],
  ['5.s', /must be a duration/],
  ['+5s', /must be a duration/],
  ['0x10', /must be a duration/],
  ['Infinity', /must be a duration/],
  ['5w', /must be a duration/],
  ['99999999999999999999d', /is too large/],
];

describe('parseDuration', () => {
  for (const [text, ms] of VALID) {
    it(`reads ${JSON.stringify(text)} as ${ms} ms`, () => {
      assert.equal(parseDuration(text), ms);
    });
  }
  for (const [text, message] of INVALID) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      assert.throws(
        () => parseDuration(text),
        (error: unknown) => {
          assert.ok(error instanceof InvalidValueError);
          assert.match(error.message, message);
          return true;
        },
      );
    });
  }
});

describe('formatDuration', () => {
  const CASES: readonly (readonly [number, string])[] = [
    [0, '0s'],
    [250, '250ms'],
    [1500, '1500ms'],
    [30_000, '30s'],
    [90_000, '90s'],
    [300_000, '5m'],
    [5_400_000, '90m'],
    [3_600_000, '1h'],
    [432_000_000, '5d'],
  ];
  for (const [ms, text] of CASES) {
    it(`writes ${ms} ms as ${text}, which reads back`, () => {
      assert.equal(formatDuration(ms), text);
      assert.equal(parseDuration(text), ms);
    });
  }
});
