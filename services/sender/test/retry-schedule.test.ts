import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextRetryDelay } from '../src/retry-schedule.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const SCHEDULE = [5 * MINUTE, 30 * MINUTE, 2 * HOUR] as const;
const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const FAR = NOW + 5 * 24 * HOUR;

describe('nextRetryDelay', () => {
  const rows: readonly {
    name: string;
    schedule: readonly number[];
    failedAttempts: number;
    expiresAt: number;
    expected: number;
  }[] = [
    {
      name: 'after the first failure: first entry',
      schedule: SCHEDULE,
      failedAttempts: 1,
      expiresAt: FAR,
      expected: 5 * MINUTE,
    },
    {
      name: 'after the second failure: middle entry',
      schedule: SCHEDULE,
      failedAttempts: 2,
      expiresAt: FAR,
      expected: 30 * MINUTE,
    },
    {
      name: 'after the third failure: last entry',
      schedule: SCHEDULE,
      failedAttempts: 3,
      expiresAt: FAR,
      expected: 2 * HOUR,
    },
    {
      name: 'beyond the schedule: the last entry repeats',
      schedule: SCHEDULE,
      failedAttempts: 4,
      expiresAt: FAR,
      expected: 2 * HOUR,
    },
    {
      name: 'far beyond the schedule: the last entry repeats',
      schedule: SCHEDULE,
      failedAttempts: 1000,
      expiresAt: FAR,
      expected: 2 * HOUR,
    },
    {
      name: 'zero failed attempts: treated as the first',
      schedule: SCHEDULE,
      failedAttempts: 0,
      expiresAt: FAR,
      expected: 5 * MINUTE,
    },
    {
      name: 'negative failed attempts: treated as the first',
      schedule: SCHEDULE,
      failedAttempts: -3,
      expiresAt: FAR,
      expected: 5 * MINUTE,
    },
    {
      name: 'capped at the expiry deadline',
      schedule: SCHEDULE,
      failedAttempts: 3,
      expiresAt: NOW + 10 * MINUTE,
      expected: 10 * MINUTE,
    },
    {
      name: 'deadline exactly at the planned delay: the planned delay',
      schedule: SCHEDULE,
      failedAttempts: 2,
      expiresAt: NOW + 30 * MINUTE,
      expected: 30 * MINUTE,
    },
    {
      name: 'deadline one millisecond away',
      schedule: SCHEDULE,
      failedAttempts: 1,
      expiresAt: NOW + 1,
      expected: 1,
    },
    {
      name: 'deadline now: zero',
      schedule: SCHEDULE,
      failedAttempts: 1,
      expiresAt: NOW,
      expected: 0,
    },
    {
      name: 'deadline already passed: zero, never negative',
      schedule: SCHEDULE,
      failedAttempts: 2,
      expiresAt: NOW - HOUR,
      expected: 0,
    },
    {
      name: 'single-entry schedule repeats',
      schedule: [15 * MINUTE],
      failedAttempts: 7,
      expiresAt: FAR,
      expected: 15 * MINUTE,
    },
    {
      name: 'empty schedule: one minute',
      schedule: [],
      failedAttempts: 1,
      expiresAt: FAR,
      expected: MINUTE,
    },
    {
      name: 'empty schedule, deadline sooner: capped',
      schedule: [],
      failedAttempts: 1,
      expiresAt: NOW + 20_000,
      expected: 20_000,
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const delay = nextRetryDelay({
        schedule: row.schedule,
        failedAttempts: row.failedAttempts,
        now: NOW,
        expiresAt: row.expiresAt,
      });
      assert.equal(delay, row.expected);
    });
  }
});
