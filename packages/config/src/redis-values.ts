import { problem, ruleOn, type CrossFieldRule } from './cross-field-rule.ts';
import { InvalidValueError, quote } from './errors.ts';
import { parseHostAndPort } from './network-values.ts';
import type { CommonFields } from './schemas.ts';

// REDIS_PASSWORD (or REDIS_PASSWORD_FILE, a Docker secret) is folded into the URL every
// service and command connects with, so no connection can forget it; REDIS_URL is shown
// with its password redacted wherever it is printed or logged.

/** REDIS_URL with REDIS_PASSWORD as its password (percent-encoded, as ioredis decodes it). */
export function redisUrlWithPassword(url: string, password: string | undefined): string {
  if (password === undefined) return url;
  const parsed = new URL(url);
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}

/** One sentinel of REDIS_SENTINELS. */
export interface SentinelAddress {
  readonly host: string;
  readonly port: number;
}

/** REDIS_SENTINELS: `sentinel-0:26379,sentinel-1:26379`, each with its port. */
export function parseSentinelList(text: string): readonly SentinelAddress[] {
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) {
    throw new InvalidValueError('must list host:port of at least one sentinel, got nothing');
  }
  return entries.map((entry) => {
    try {
      return parseHostAndPort(entry);
    } catch (error) {
      throw new InvalidValueError(
        `entry ${quote(entry)}: ${(error as Error).message} (a sentinel listens on 26379 by default)`,
      );
    }
  });
}

/** REDIS_SENTINEL_MASTER: Sentinel's own rule for a master name (no spaces). */
export function parseSentinelMasterName(text: string): string {
  if (/^[^\s]{1,128}$/.test(text)) return text;
  throw new InvalidValueError(
    `must be the name the sentinels monitor (sentinel monitor <name> ...), without spaces, got ${quote(text)}`,
  );
}

const commonRule = ruleOn<CommonFields>();

export const REDIS_RULES: readonly CrossFieldRule<CommonFields>[] = [
  commonRule(['REDIS_URL', 'REDIS_PASSWORD'], ({ REDIS_URL, REDIS_PASSWORD }) =>
    REDIS_PASSWORD !== undefined && new URL(REDIS_URL).password !== ''
      ? problem(
          'REDIS_PASSWORD',
          'REDIS_URL holds a password too; set only one of them (with docker-compose.yml, REDIS_PASSWORD_FILE= in .env keeps the one in REDIS_URL)',
        )
      : [],
  ),
  commonRule(['REDIS_URL', 'REDIS_CA_FILE'], ({ REDIS_URL, REDIS_CA_FILE }) =>
    REDIS_CA_FILE !== undefined && new URL(REDIS_URL).protocol !== 'rediss:'
      ? problem(
          'REDIS_CA_FILE',
          'is only used with TLS: make REDIS_URL rediss://, or unset REDIS_CA_FILE',
        )
      : [],
  ),
  commonRule(['REDIS_SENTINELS', 'REDIS_SENTINEL_PASSWORD'], (fields) =>
    fields.REDIS_SENTINEL_PASSWORD !== undefined && fields.REDIS_SENTINELS === undefined
      ? problem('REDIS_SENTINEL_PASSWORD', 'is only used with REDIS_SENTINELS, which is not set')
      : [],
  ),
];
