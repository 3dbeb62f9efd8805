import { parseDuration } from '@smtp-relay/config';
import type { HistoryQuery } from '@smtp-relay/store';

// What a search of the message history asks, from the API's query string or
// the CLI's options (docs/reference.md "Message history"). Pure: a problem is
// a value the caller turns into a 400 or an exit code.

export interface HistoryQueryInput {
  readonly q?: string | undefined;
  /** ISO 8601 date or time (UTC unless it says otherwise), epoch ms, or a duration ago ("2h"). */
  readonly since?: string | undefined;
  readonly until?: string | undefined;
  readonly limit?: string | undefined;
}

export type HistoryQueryResult =
  | { readonly ok: true; readonly query: HistoryQuery }
  | { readonly ok: false; readonly problem: string };

export const HISTORY_LIMIT = { default: 100, max: 1000 } as const;

/** The answer to a search when no history is kept (the API's 409, the CLI's exit 1). */
export const HISTORY_OFF =
  'the message history is off (HISTORY_RETENTION=0): delivered messages are not kept to search';
/** Longer search text is no address, id or subject anyone types. */
const MAX_TEXT_LENGTH = 200;

export function parseHistoryQuery(input: HistoryQueryInput, now: number): HistoryQueryResult {
  const text = (input.q ?? '').trim();
  if (text.length > MAX_TEXT_LENGTH) {
    return { ok: false, problem: `q must be at most ${String(MAX_TEXT_LENGTH)} characters` };
  }
  const limit = Number(input.limit ?? HISTORY_LIMIT.default);
  if (!Number.isInteger(limit) || limit < 1 || limit > HISTORY_LIMIT.max) {
    return { ok: false, problem: `limit must be 1-${String(HISTORY_LIMIT.max)}` };
  }
  const since = timeBound('since', input.since, now);
  if (typeof since === 'string') return { ok: false, problem: since };
  const until = timeBound('until', input.until, now);
  if (typeof until === 'string') return { ok: false, problem: until };
  if (since !== undefined && until !== undefined && since > until) {
    return { ok: false, problem: 'since must not be after until' };
  }
  return { ok: true, query: { text, since, until, limit } };
}

/** Epoch ms, undefined when not given, or the problem (a string). */
function timeBound(
  name: string,
  value: string | undefined,
  now: number,
): number | string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d{12,}$/.test(text)) return Number(text);
  if (/^\d/.test(text) && /[-:T]/.test(text)) {
    // A date or time without a zone is UTC, as every time the relay shows.
    const zoned = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(text) || !text.includes('T') ? text : `${text}Z`;
    const ms = Date.parse(zoned);
    if (!Number.isNaN(ms)) return ms;
  } else {
    try {
      return now - parseDuration(text);
    } catch {
      // reported below, with what is accepted
    }
  }
  return `${name} must be an ISO 8601 time (2026-12-04T09:14Z), epoch ms or a duration ago (30m, 2h, 7d), got "${text}"`;
}
