import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dueTimeFromDelayedScore } from '../src/delayed-score.ts';

// BullMQ 6 scores a delayed job `due * 0x1000 + n`, n counting jobs due in the
// same millisecond (0..4095). A BullMQ upgrade that changes this fails here
// and in queued-job.int.test.ts.

const DUE = Date.UTC(2026, 10, 26, 12, 48, 18, 345);

describe('dueTimeFromDelayedScore', () => {
  const rows: readonly { name: string; score: number; due: number }[] = [
    { name: 'the first job due in that millisecond', score: DUE * 0x1000, due: DUE },
    { name: 'the second job due then', score: DUE * 0x1000 + 1, due: DUE },
    { name: 'the last of 4096 jobs due then', score: DUE * 0x1000 + 0xfff, due: DUE },
    { name: 'one millisecond later', score: (DUE + 1) * 0x1000, due: DUE + 1 },
  ];
  for (const row of rows) {
    it(row.name, () => {
      assert.equal(dueTimeFromDelayedScore(row.score), row.due);
    });
  }
});
