import { formatDuration } from './duration.ts';
import { InvalidValueError, quote } from './errors.ts';
import { parseDurationWithin, parseInteger } from './scalar-values.ts';
import type { SendingRate } from './types.ts';

// SMART_HOST_RATE and SMART_HOST_RECIPIENT_RATE (docs/reference.md "Failover, routes and
// rate limits"): `<count>/<duration>`, such as `30/1m` or `10000/1d`.

/** Written `off` or `0`: no limit, not even the SMART_HOST_PROVIDER preset's. */
export const NO_RATE_LIMIT = 'off';

// The limiter keeps one Redis entry per message (or recipient) inside the window, so the
// window and the count bound what a route keeps in Redis.
const MAX_COUNT = 100_000;
const MIN_WINDOW_MS = 1000;
const MAX_WINDOW_MS = 86_400_000;

const EXPECTED = 'must be <count>/<duration> such as 30/1m or 10000/1d, or off';

export function parseSendingRate(text: string): SendingRate | typeof NO_RATE_LIMIT {
  const lower = text.toLowerCase();
  if (lower === NO_RATE_LIMIT || lower === '0') return NO_RATE_LIMIT;
  const match = /^(?<count>[^/]+)\/(?<window>[^/]+)$/.exec(text);
  if (match?.groups === undefined) throw new InvalidValueError(`${EXPECTED}, got ${quote(text)}`);
  const { count = '', window = '' } = match.groups;
  const reasons: string[] = [];
  const attempt = (parse: () => number): number => {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof InvalidValueError)) throw error;
      reasons.push(...error.reasons);
      return 0;
    }
  };
  const parsed = {
    count: attempt(() => parseCount(count.trim())),
    perMs: attempt(() => parseWindow(window.trim())),
  };
  const [first, ...rest] = reasons;
  if (first !== undefined) throw new InvalidValueError(first, ...rest);
  return parsed;
}

function parseCount(text: string): number {
  try {
    return parseInteger(text, 1, MAX_COUNT);
  } catch {
    throw new InvalidValueError(
      `count must be a whole number from 1 to ${String(MAX_COUNT)} (off for no limit), got ${quote(text)}`,
    );
  }
}

function parseWindow(text: string): number {
  try {
    return parseDurationWithin(text, {
      min: MIN_WINDOW_MS,
      max: { value: MAX_WINDOW_MS, why: 'the longest window the limiter keeps' },
    });
  } catch (error) {
    if (!(error instanceof InvalidValueError)) throw error;
    throw new InvalidValueError(...prefixed('duration ', error.reasons));
  }
}

function prefixed(prefix: string, reasons: readonly string[]): [string, ...string[]] {
  const [first = '', ...rest] = reasons.map((reason) => `${prefix}${reason}`);
  return [first, ...rest];
}

/** `{count: 30, perMs: 60000}` → `30/1m`, as it is written. */
export function formatSendingRate(rate: SendingRate): string {
  return `${String(rate.count)}/${formatDuration(rate.perMs)}`;
}
