import { SMART_HOST_VARIABLES } from '../build-smart-host.ts';
import type { Environment } from '../environment.ts';
import { FILE_SUFFIX } from '../secret-names.ts';

// A route of SMART_HOST_ROUTES_FILE holds the same settings as the SMART_HOST_* variables,
// in camelCase (docs/reference.md "Failover, routes and rate limits"). This table is the
// one place that says which key is which variable: a route is turned into variable texts,
// checked and built by the variables' own parsers, rules and builder, and each problem is
// turned back into the key it is about.

interface RouteKey {
  /** Its path inside a route, e.g. `smartHost.oauth2.clientId`. */
  readonly key: string;
  readonly variable: (typeof ROUTE_VARIABLES)[number];
  /** The key names a file holding the secret (the variable's NAME_FILE form): no secrets in the file. */
  readonly file?: true;
}

/** Every variable a route sets, or takes from the environment (caFile, tlsVerify, cooldown, dkimKeysDir). */
export const ROUTE_VARIABLES = [...SMART_HOST_VARIABLES, 'REWRITE_FROM', 'DKIM_KEYS_DIR'] as const;

const ROUTE_KEYS: readonly RouteKey[] = [
  { key: 'smartHost.host', variable: 'SMART_HOST' },
  { key: 'smartHost.port', variable: 'SMART_HOST_PORT' },
  { key: 'smartHost.tls', variable: 'SMART_HOST_TLS' },
  { key: 'smartHost.user', variable: 'SMART_HOST_USER' },
  { key: 'smartHost.passwordFile', variable: 'SMART_HOST_PASSWORD', file: true },
  { key: 'smartHost.authMethods', variable: 'SMART_HOST_AUTH_METHODS' },
  { key: 'smartHost.provider', variable: 'SMART_HOST_PROVIDER' },
  { key: 'smartHost.region', variable: 'SMART_HOST_REGION' },
  { key: 'smartHost.oauth2.provider', variable: 'SMART_HOST_OAUTH2_PROVIDER' },
  { key: 'smartHost.oauth2.tenant', variable: 'SMART_HOST_OAUTH2_TENANT' },
  { key: 'smartHost.oauth2.tokenUrl', variable: 'SMART_HOST_OAUTH2_TOKEN_URL' },
  { key: 'smartHost.oauth2.clientId', variable: 'SMART_HOST_OAUTH2_CLIENT_ID' },
  {
    key: 'smartHost.oauth2.clientSecretFile',
    variable: 'SMART_HOST_OAUTH2_CLIENT_SECRET',
    file: true,
  },
  {
    key: 'smartHost.oauth2.refreshTokenFile',
    variable: 'SMART_HOST_OAUTH2_REFRESH_TOKEN',
    file: true,
  },
  {
    key: 'smartHost.oauth2.serviceAccountFile',
    variable: 'SMART_HOST_OAUTH2_SERVICE_ACCOUNT_FILE',
  },
  { key: 'smartHost.oauth2.scope', variable: 'SMART_HOST_OAUTH2_SCOPE' },
  { key: 'smartHost.rate', variable: 'SMART_HOST_RATE' },
  { key: 'smartHost.recipientRate', variable: 'SMART_HOST_RECIPIENT_RATE' },
  { key: 'smartHost.cooldown', variable: 'SMART_HOST_COOLDOWN' },
  { key: 'smartHost.caFile', variable: 'SMART_HOST_CA_FILE' },
  { key: 'smartHost.tlsVerify', variable: 'SMART_HOST_TLS_VERIFY' },
  { key: 'rewriteFrom', variable: 'REWRITE_FROM' },
  { key: 'dkimKeysDir', variable: 'DKIM_KEYS_DIR' },
];

/** The name the key is read under: NAME_FILE for a secret's file. */
function environmentName({ variable, file }: RouteKey): string {
  return file ? `${variable}${FILE_SUFFIX}` : variable;
}

function valueAt(route: unknown, path: readonly string[]): unknown {
  let value = route;
  for (const part of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** A YAML value as the variable's text: lists joined by commas (authMethods, host). */
function asText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.map(String).join(',');
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  return undefined; // the route's schema refused it already
}

/** A route (checked by its schema) as the environment its variables would be read from. */
export function routeEnvironment(route: unknown): Environment {
  return Object.fromEntries(
    ROUTE_KEYS.map((entry) => [
      environmentName(entry),
      asText(valueAt(route, entry.key.split('.'))),
    ]),
  );
}

const KEY_OF_NAME: ReadonlyMap<string, string> = new Map(
  ROUTE_KEYS.flatMap((entry) => [
    [entry.variable, entry.key],
    [environmentName(entry), entry.key],
  ]),
);

/** The key a problem about `name` (a variable or NAME_FILE) is about; the name itself if none. */
export function keyOf(name: string): string {
  return KEY_OF_NAME.get(name) ?? name;
}

const VARIABLE_NAME = /\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g;

/**
 * A variable's problem in the route's words: `required when SMART_HOST_USER is set` →
 * `required when user is set` (keys inside the smart host block without `smartHost.`).
 */
export function inRouteWords(message: string): string {
  return message
    .replaceAll('SMART_HOST_OAUTH2_* variables', 'the oauth2 block')
    .replaceAll(VARIABLE_NAME, (name) => {
      const key = KEY_OF_NAME.get(name);
      return key === undefined ? name : key.replace(/^smartHost\./, '');
    });
}
