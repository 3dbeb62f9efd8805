import { InvalidValueError, quote } from './errors.ts';

// Largest unit first: formatDuration picks the first unit that divides exactly.
const MS_PER_UNIT = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;
type DurationUnit = keyof typeof MS_PER_UNIT;

// No inner spaces, no sign, no exponent: `1h30m` and `1e3` are refused rather than guessed.
const DURATION_PATTERN = /^(?<amount>\d+(?:\.\d+)?)(?<unit>ms|s|m|h|d)?$/i;

const EXPECTED = 'must be a duration such as 250ms, 30s, 5m, 2h or 5d (a bare number is seconds)';

/**
 * Parses `250ms`, `30s`, `5m`, `2h`, `5d` (units case-insensitive) or a bare number of
 * seconds into milliseconds. Decimals are allowed (`1.5s`, `0.5`) and rounded to whole
 * milliseconds. Throws InvalidValueError for anything else, negatives included.
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  const match = DURATION_PATTERN.exec(trimmed);
  const amount = match?.groups?.['amount'];
  if (amount === undefined) {
    const reason = trimmed.startsWith('-') ? 'must not be negative' : EXPECTED;
    throw new InvalidValueError(`${reason}, got ${quote(text)}`);
  }
  const unit = (match?.groups?.['unit'] ?? 's').toLowerCase() as DurationUnit;
  const ms = Math.round(Number(amount) * MS_PER_UNIT[unit]);
  if (!Number.isSafeInteger(ms)) throw new InvalidValueError(`is too large, got ${quote(text)}`);
  return ms;
}

/** The shortest exact spelling that parseDuration reads back: 90000 → `90s`, 3600000 → `1h`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  for (const [unit, size] of Object.entries(MS_PER_UNIT)) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
