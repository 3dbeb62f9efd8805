import { InvalidValueError, quote } from './errors.ts';

// Largest unit first: formatSize picks the first unit that divides exactly.
const BYTES_PER_UNIT = { g: 1024 ** 3, m: 1024 ** 2, k: 1024 } as const;
type SizeUnit = keyof typeof BYTES_PER_UNIT;

// `25m`, `25MB`, `25MiB`, `512k`, `512b`, `1048576`. A bare `ib` (`512ib`) is no unit.
const SIZE_PATTERN = /^(?<amount>\d+(?:\.\d+)?)(?:(?<unit>[kmg])(?:i?b)?|b)?$/i;

const EXPECTED = 'must be a size in bytes or with a k, m or g suffix such as 512k or 25m';

/**
 * Parses a size into bytes. Suffixes `k`, `m`, `g` are 1024-based and case-insensitive,
 * optionally followed by `b` or `ib` (`25MB` = `25MiB` = `25m`, as in Postfix and
 * Docker, where "MB" means MiB). Decimals are allowed only with a suffix (`1.5m`) and
 * are rounded down to whole bytes. Throws InvalidValueError for anything else.
 */
export function parseSize(text: string): number {
  const trimmed = text.trim();
  const match = SIZE_PATTERN.exec(trimmed);
  const amount = match?.groups?.['amount'];
  const unit = match?.groups?.['unit']?.toLowerCase() as SizeUnit | undefined;
  if (amount === undefined || (unit === undefined && amount.includes('.'))) {
    const reason = trimmed.startsWith('-') ? 'must not be negative' : EXPECTED;
    throw new InvalidValueError(`${reason}, got ${quote(text)}`);
  }
  const bytes = Math.floor(Number(amount) * (unit === undefined ? 1 : BYTES_PER_UNIT[unit]));
  if (!Number.isSafeInteger(bytes)) throw new InvalidValueError(`is too large, got ${quote(text)}`);
  return bytes;
}

/** The shortest exact spelling that parseSize reads back: 26214400 → `25m`, 1000 → `1000`. */
export function formatSize(bytes: number): string {
  for (const [unit, size] of Object.entries(BYTES_PER_UNIT)) {
    if (bytes !== 0 && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}
