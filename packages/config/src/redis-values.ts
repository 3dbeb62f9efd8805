import { problem, ruleOn, type CrossFieldRule } from './cross-field-rule.ts';
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
];
