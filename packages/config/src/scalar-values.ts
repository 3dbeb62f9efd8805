import { formatDuration, parseDuration } from './duration.ts';
import { InvalidValueError, quote } from './errors.ts';
import { formatSize, parseSize } from './size.ts';

/** A whole number in [min, max]; no sign, exponent or decimals. */
export function parseInteger(text: string, min: number, max: number): number {
  const value = /^\d{1,15}$/.test(text) ? Number(text) : Number.NaN;
  if (value >= min && value <= max) return value;
  throw new InvalidValueError(`must be a whole number from ${min} to ${max}, got ${quote(text)}`);
}

/** One of a fixed set of lower-case words; `INFO` is read as `info`. */
export function parseOneOf<const T extends string>(text: string, choices: readonly T[]): T {
  const lower = text.toLowerCase();
  const choice = choices.find((candidate) => candidate === lower);
  if (choice !== undefined) return choice;
  throw new InvalidValueError(`must be one of ${choices.join(', ')}, got ${quote(text)}`);
}

export interface Limits {
  /** smallest allowed value, inclusive */
  readonly min: number;
  readonly max?: { readonly value: number; readonly why: string };
}

function checkLimits(value: number, text: string, limits: Limits, show: (n: number) => string) {
  if (value < limits.min) {
    const bound = limits.min === 1 ? 'more than 0' : `at least ${show(limits.min)}`;
    throw new InvalidValueError(`must be ${bound}, got ${quote(text)}`);
  }
  const { max } = limits;
  if (max !== undefined && value > max.value) {
    throw new InvalidValueError(
      `must be at most ${show(max.value)} (${max.why}), got ${quote(text)}`,
    );
  }
}

export function parseDurationWithin(text: string, limits: Limits): number {
  const ms = parseDuration(text);
  checkLimits(ms, text, limits, formatDuration);
  return ms;
}

export function parseSizeWithin(text: string, limits: Limits): number {
  const bytes = parseSize(text);
  checkLimits(bytes, text, limits, formatSize);
  return bytes;
}

/** RETRY_DELAYS: `1m,5m,1h`; every entry a duration > 0, each bad one its own reason. */
export function parseDurationList(text: string): readonly number[] {
  const delays: number[] = [];
  const reasons: string[] = [];
  for (const entry of text.split(/[\s,]+/).filter((part) => part !== '')) {
    try {
      delays.push(parseDurationWithin(entry, { min: 1 }));
    } catch (error) {
      if (!(error instanceof InvalidValueError)) throw error;
      reasons.push(...error.reasons.map((reason) => `entries ${reason}`));
    }
  }
  const [first, ...rest] = reasons;
  if (first !== undefined) throw new InvalidValueError(first, ...rest);
  if (delays.length === 0) {
    throw new InvalidValueError('must list at least one delay, e.g. 1m,5m,1h');
  }
  return delays;
}

/**
 * QUEUE_PREFIX becomes the first part of every Redis key; BullMQ joins key parts with
 * `:`, so a `:` inside the prefix could make two deployments' keys overlap.
 */
export function parseKeyPrefix(text: string): string {
  if (/^[A-Za-z0-9._-]{1,64}$/.test(text)) return text;
  throw new InvalidValueError(
    `must be 1-64 letters, digits, "-", "_" or "." (no ":", Redis key separator), got ${quote(text)}`,
  );
}

const MIN_TOKEN_LENGTH = 16;

/**
 * ADMIN_TOKEN: it guards queue deletion and retries, so it must not be guessable, and it
 * travels in an `Authorization: Bearer` header, so it must be visible ASCII without spaces.
 * Never echoed.
 */
export function parseBearerToken(text: string): string {
  if (!/^[\x21-\x7e]*$/.test(text)) {
    throw new InvalidValueError('must hold only visible ASCII characters (no spaces)');
  }
  if (text.length < MIN_TOKEN_LENGTH) {
    throw new InvalidValueError(
      `must be at least ${MIN_TOKEN_LENGTH} characters long (e.g. openssl rand -hex 32)`,
    );
  }
  return text;
}

export type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
const TLS_VERSIONS: readonly TlsVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** SMTP_TLS_MIN_VERSION: Node's names (`TLSv1.2`), any case; `TLSv1.0` read as `TLSv1`. */
export function parseTlsVersion(text: string): TlsVersion {
  const lower = text.toLowerCase().replace(/^tlsv1\.0$/, 'tlsv1');
  const version = TLS_VERSIONS.find((candidate) => candidate.toLowerCase() === lower);
  if (version !== undefined) return version;
  throw new InvalidValueError(`must be one of ${TLS_VERSIONS.join(', ')}, got ${quote(text)}`);
}
