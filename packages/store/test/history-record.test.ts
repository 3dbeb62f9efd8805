import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MAX_ATTEMPTS_KEPT,
  boundedAttempts,
  historyRecordOf,
  matchesHistoryText,
  parseHistoryRecord,
  serializeHistoryRecord,
  type HistoryAttempt,
  type HistoryRecord,
} from '../src/index.ts';

const attempt = (at: number, delivered: string[] = [], bounced: string[] = []): HistoryAttempt => ({
  at,
  outcome: delivered.length > 0 ? 'delivered' : 'deferred',
  delivered,
  bounced,
  reply: '250 ok',
});

const RECORD: HistoryRecord = historyRecordOf(
  {
    id: '01KB0ZQ7Y2ABCDEFGHJKMNPQRS',
    from: 'scanner@office.example',
    to: ['Alice@Example.com', 'bob@example.net'],
    subject: 'Scan from MFP-3 — Überweisung',
    size: 4096,
    client: { address: '192.0.2.7', helo: 'mfp3.lan' },
    authUser: 'mfp3',
    route: null,
    receivedAt: 1_000,
    finishedAt: 2_000,
    reply: '250 2.0.0 Ok: queued as 4F2A',
    smartHostQueueId: '4F2A',
  },
  [attempt(1_500, ['Alice@Example.com'], ['bob@example.net'])],
);

describe('matchesHistoryText: what a search finds', () => {
  const rows: [string, string, boolean][] = [
    ['empty text: every message', '', true],
    ['blank text: every message', '   ', true],
    ['part of the id, any case', 'zq7y2', true],
    ['the envelope sender', 'scanner@office', true],
    ['a recipient, any case', 'alice@example.com', true],
    ['the second recipient', 'example.net', true],
    ['a word of the subject, any case', 'mfp-3', true],
    ['non-ASCII in the subject', 'überweisung', true],
    ['the authenticated user', 'mfp3', true],
    ['the client address', '192.0.2.7', true],
    ['the smart host queue id', '4f2a', true],
    ['text of no field', 'invoice', false],
    ['the HELO name is not searched', 'mfp3.lan', false],
  ];
  for (const [name, text, expected] of rows) {
    it(name, () => {
      assert.equal(matchesHistoryText(RECORD, text), expected);
    });
  }
});

describe('historyRecordOf and boundedAttempts', () => {
  it('who got it and who bounced: the union over every attempt, each once', () => {
    const record = historyRecordOf(RECORD, [
      attempt(1, ['a@x'], ['b@x']),
      attempt(2, [], ['b@x']),
      attempt(3, ['c@x', 'a@x']),
    ]);
    assert.deepEqual(record.delivered, ['a@x', 'c@x']);
    assert.deepEqual(record.bounced, ['b@x']);
    assert.equal(record.attempts.length, 3);
  });

  it(`keeps the first and the last ${String(MAX_ATTEMPTS_KEPT / 2)} of too many attempts`, () => {
    const many = Array.from({ length: MAX_ATTEMPTS_KEPT + 7 }, (_, index) => attempt(index));
    const kept = boundedAttempts(many);
    assert.equal(kept.length, MAX_ATTEMPTS_KEPT);
    assert.equal(kept[0]?.at, 0);
    assert.equal(kept.at(-1)?.at, MAX_ATTEMPTS_KEPT + 6);
    assert.equal(kept[MAX_ATTEMPTS_KEPT / 2]?.at, 7 + MAX_ATTEMPTS_KEPT / 2);
  });
});

describe('parseHistoryRecord', () => {
  const rows: [string, string, boolean][] = [
    ['what serialize wrote', serializeHistoryRecord(RECORD), true],
    ['not JSON', '{', false],
    ['another format version', JSON.stringify({ v: 2, record: RECORD }), false],
    ['no record', JSON.stringify({ v: 1 }), false],
    [
      'a record without attempts',
      JSON.stringify({ v: 1, record: { ...RECORD, attempts: 1 } }),
      false,
    ],
    ['null', 'null', false],
  ];
  for (const [name, text, valid] of rows) {
    it(name, () => {
      const parsed = parseHistoryRecord(text);
      if (valid) assert.deepEqual(parsed, RECORD);
      else assert.equal(parsed, undefined);
    });
  }
});
