import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HISTORY_LIMIT, parseHistoryQuery, type HistoryQueryInput } from '../src/history-query.ts';

const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);
const HOUR = 3_600_000;

describe('parseHistoryQuery: a search of the message history from the API or the CLI', () => {
  const ok: readonly [name: string, input: HistoryQueryInput, expected: object][] = [
    ['nothing: every message, the default limit', {}, { text: '', limit: HISTORY_LIMIT.default }],
    ['text is trimmed', { q: '  scanner@  ' }, { text: 'scanner@' }],
    ['a limit', { limit: '5' }, { limit: 5 }],
    ['since: a duration ago', { since: '2h' }, { since: NOW - 2 * HOUR }],
    ['since: a day ago', { since: '1d' }, { since: NOW - 24 * HOUR }],
    [
      'since: an ISO time without a zone is UTC',
      { since: '2026-12-04T09:14' },
      { since: Date.UTC(2026, 11, 4, 9, 14) },
    ],
    [
      'since: an ISO time with Z',
      { since: '2026-12-04T09:14:00Z' },
      { since: Date.UTC(2026, 11, 4, 9, 14) },
    ],
    [
      'since: an ISO time with an offset',
      { since: '2026-12-04T10:14:00+01:00' },
      { since: Date.UTC(2026, 11, 4, 9, 14) },
    ],
    [
      'since: a date is its UTC midnight',
      { since: '2026-12-04' },
      { since: Date.UTC(2026, 11, 4) },
    ],
    ['until: epoch ms', { until: '1796371200000' }, { until: 1_796_371_200_000 }],
    ['both, in order', { since: '3h', until: '1h' }, { since: NOW - 3 * HOUR, until: NOW - HOUR }],
    ['empty bounds are none', { since: '', until: ' ' }, { since: undefined, until: undefined }],
  ];
  for (const [name, input, expected] of ok) {
    it(name, () => {
      const result = parseHistoryQuery(input, NOW);
      assert.ok(result.ok, result.ok ? '' : result.problem);
      assert.deepEqual({ ...result.query, ...expected }, result.query);
    });
  }

  const problems: readonly [name: string, input: HistoryQueryInput, problem: RegExp][] = [
    ['a limit of 0', { limit: '0' }, /^limit must be 1-1000$/],
    ['a limit too high', { limit: '1001' }, /^limit must be 1-1000$/],
    ['a limit that is no number', { limit: 'all' }, /^limit must be/],
    [
      'since that is no time',
      { since: 'yesterday' },
      /^since must be an ISO 8601 time .*got "yesterday"$/,
    ],
    ['until that is no date', { until: '2026-13-45' }, /^until must be/],
    ['a negative duration', { since: '-2h' }, /^since must be/],
    ['since after until', { since: '1h', until: '2h' }, /^since must not be after until$/],
    ['text too long', { q: 'x'.repeat(201) }, /^q must be at most 200 characters$/],
  ];
  for (const [name, input, problem] of problems) {
    it(`refuses ${name}`, () => {
      const result = parseHistoryQuery(input, NOW);
      assert.match(result.ok ? 'accepted' : result.problem, problem);
    });
  }
});
