export const REDACTED = '<redacted>';

// camelCase config keys (`adminToken`, `password`) and SCREAMING_CASE names alike.
const SECRET_KEY = /(?:password|secret|token)$/i;
const URL_CREDENTIALS = /^(?<scheme>[a-z][a-z0-9+.-]*:\/\/)(?<userinfo>[^@/?#]*)@/i;

/**
 * `redis://user:pw@redis:6379` → `redis://user:<redacted>@redis:6379`. A userinfo without
 * `:` is redacted whole: some clients (ioredis among them) read a lone name as password.
 */
export function redactUrlCredentials(text: string): string {
  return text.replace(URL_CREDENTIALS, (_match, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    const user = colon === -1 ? '' : userinfo.slice(0, colon + 1);
    return `${scheme}${user}${REDACTED}@`;
  });
}

/**
 * A copy of a config object safe to log at start-up: set secrets become `<redacted>`
 * (unset ones stay undefined, which is worth seeing) and URL passwords are removed.
 */
export function redactSecrets<T>(value: T): T {
  return redactValue(value, false) as T;
}

function redactValue(value: unknown, secret: boolean): unknown {
  if (typeof value === 'string') return secret ? REDACTED : redactUrlCredentials(value);
  if (Array.isArray(value)) return value.map((item: unknown) => redactValue(item, secret));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, child]) => [
        key,
        redactValue(child, secret || SECRET_KEY.test(key)),
      ]),
    );
  }
  return value;
}
