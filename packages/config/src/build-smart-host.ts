import { defaultScope, defaultTokenUrl, readServiceAccountKey } from './oauth2-values.ts';
import { PROVIDER_PRESETS, presetRegion, type ProviderPreset } from './provider-presets.ts';
import type { SenderFields } from './schemas.ts';
import { NO_RATE_LIMIT, parseSendingRate } from './sending-rate.ts';
import type {
  OAuth2Config,
  OAuth2Grant,
  OAuth2Provider,
  Pop3Config,
  SendingRate,
  SmartHostConfig,
  SmartHostEndpoint,
} from './types.ts';

// SMART_HOST_* variables + the SMART_HOST_PROVIDER preset -> the smart host the sender
// uses. Explicit variables always win over the preset. Runs after the cross-field rules
// (smart-host-rules.ts) passed, so what they require is present.

const IMPLICIT_TLS_PORT = 465;
const DEFAULT_PORT = 587;

export const OAUTH2_VARIABLES = [
  'SMART_HOST_OAUTH2_PROVIDER',
  'SMART_HOST_OAUTH2_TENANT',
  'SMART_HOST_OAUTH2_TOKEN_URL',
  'SMART_HOST_OAUTH2_CLIENT_ID',
  'SMART_HOST_OAUTH2_CLIENT_SECRET',
  'SMART_HOST_OAUTH2_REFRESH_TOKEN',
  'SMART_HOST_OAUTH2_SERVICE_ACCOUNT_FILE',
  'SMART_HOST_OAUTH2_SCOPE',
] as const;

type OAuth2Fields = Pick<SenderFields, (typeof OAUTH2_VARIABLES)[number] | 'SMART_HOST_PROVIDER'>;

export const DEFAULT_TENANT = 'organizations';

/** docs/reference.md: OAuth2 is on "when any SMART_HOST_OAUTH2_* variable is set". */
export function oauth2Requested(fields: Partial<OAuth2Fields>): boolean {
  return OAUTH2_VARIABLES.some((name) => fields[name] !== undefined);
}

export function oauth2Tenant(fields: OAuth2Fields): string {
  return fields.SMART_HOST_OAUTH2_TENANT ?? DEFAULT_TENANT;
}

export function oauth2ProviderOf(fields: OAuth2Fields): OAuth2Provider {
  const preset =
    fields.SMART_HOST_PROVIDER === undefined
      ? undefined
      : PROVIDER_PRESETS[fields.SMART_HOST_PROVIDER];
  return fields.SMART_HOST_OAUTH2_PROVIDER ?? preset?.oauth2Provider ?? 'generic';
}

/** The documented grant order: refresh token, else service account, else client credentials. */
export function oauth2GrantKind(fields: OAuth2Fields): OAuth2Grant['kind'] {
  if (fields.SMART_HOST_OAUTH2_REFRESH_TOKEN !== undefined) return 'refresh-token';
  if (fields.SMART_HOST_OAUTH2_SERVICE_ACCOUNT_FILE !== undefined) return 'service-account';
  return 'client-credentials';
}

/** The key file's `token_uri`, when it would be the token URL (generic provider, no explicit URL). */
export function serviceAccountTokenUrl(fields: OAuth2Fields): string | undefined {
  const keyFile = fields.SMART_HOST_OAUTH2_SERVICE_ACCOUNT_FILE;
  if (keyFile === undefined || fields.SMART_HOST_OAUTH2_TOKEN_URL !== undefined) return undefined;
  if (defaultTokenUrl(oauth2ProviderOf(fields), oauth2Tenant(fields)) !== undefined)
    return undefined;
  return readServiceAccountKey(keyFile).tokenUri;
}

/** The token URL: explicit, else the provider's, else (service account) the key file's. */
export function oauth2TokenUrl(fields: OAuth2Fields): string | undefined {
  return (
    fields.SMART_HOST_OAUTH2_TOKEN_URL ??
    defaultTokenUrl(oauth2ProviderOf(fields), oauth2Tenant(fields)) ??
    serviceAccountTokenUrl(fields)
  );
}

function toOAuth2Config(fields: OAuth2Fields): OAuth2Config {
  const provider = oauth2ProviderOf(fields);
  const kind = oauth2GrantKind(fields);
  const secret = fields.SMART_HOST_OAUTH2_CLIENT_SECRET;
  const keyFile = fields.SMART_HOST_OAUTH2_SERVICE_ACCOUNT_FILE;
  let grant: OAuth2Grant;
  if (kind === 'refresh-token') {
    grant = {
      kind,
      refreshToken: fields.SMART_HOST_OAUTH2_REFRESH_TOKEN ?? '',
      clientSecret: secret,
    };
  } else if (kind === 'service-account' && keyFile !== undefined) {
    grant = { kind, keyFile, clientEmail: readServiceAccountKey(keyFile).clientEmail };
  } else {
    grant = { kind: 'client-credentials', clientSecret: secret ?? '' };
  }
  return {
    provider,
    tenant: oauth2Tenant(fields),
    tokenUrl: oauth2TokenUrl(fields) ?? '',
    clientId: fields.SMART_HOST_OAUTH2_CLIENT_ID,
    scope: fields.SMART_HOST_OAUTH2_SCOPE ?? defaultScope(provider, grant.kind),
    grant,
  };
}

/**
 * The variables one smart host is built from: the default route's, and (under their
 * camelCase names) each route's of SMART_HOST_ROUTES_FILE (routes/route-variables.ts).
 */
export const SMART_HOST_VARIABLES = [
  'SMART_HOST',
  'SMART_HOST_PORT',
  'SMART_HOST_TLS',
  'SMART_HOST_USER',
  'SMART_HOST_PASSWORD',
  'SMART_HOST_AUTH_METHODS',
  'SMART_HOST_CA_FILE',
  'SMART_HOST_TLS_VERIFY',
  ...OAUTH2_VARIABLES,
  'SMART_HOST_PROVIDER',
  'SMART_HOST_REGION',
  'DEMO_SMART_HOST',
  'SMART_HOST_COOLDOWN',
  'SMART_HOST_RATE',
  'SMART_HOST_RECIPIENT_RATE',
] as const;

export type SmartHostFields = Pick<SenderFields, (typeof SMART_HOST_VARIABLES)[number]>;

type EndpointFields = Pick<
  SmartHostFields,
  | 'SMART_HOST'
  | 'SMART_HOST_PORT'
  | 'SMART_HOST_TLS'
  | 'SMART_HOST_PROVIDER'
  | 'SMART_HOST_REGION'
  | 'DEMO_SMART_HOST'
>;

function presetOf(
  fields: Pick<SmartHostFields, 'SMART_HOST_PROVIDER'>,
): ProviderPreset | undefined {
  const provider = fields.SMART_HOST_PROVIDER;
  return provider === undefined ? undefined : PROVIDER_PRESETS[provider];
}

function regionOf(fields: Pick<SmartHostFields, 'SMART_HOST_PROVIDER' | 'SMART_HOST_REGION'>) {
  const preset = presetOf(fields);
  return preset === undefined
    ? fields.SMART_HOST_REGION
    : presetRegion(preset, fields.SMART_HOST_REGION);
}

/** The compose file's capture smart host, until the operator names a real one. */
function demoOf(fields: EndpointFields) {
  return fields.SMART_HOST === undefined && presetOf(fields) === undefined
    ? fields.DEMO_SMART_HOST
    : undefined;
}

/**
 * SMART_HOST's entries in order, each with its port and TLS mode (docs/reference.md
 * "Provider presets" and "Failover, routes and rate limits"): an entry without a port
 * takes SMART_HOST_PORT, else the preset's, else 587; SMART_HOST_TLS wins, else a port
 * written in the entry or SMART_HOST_PORT takes the port rule (465: implicit, else
 * starttls), else the preset's mode. Without SMART_HOST: the preset's host, else the demo.
 */
export function smartHostEndpoints(fields: EndpointFields): readonly SmartHostEndpoint[] {
  const preset = presetOf(fields);
  const demo = demoOf(fields);
  const defaultPort = fields.SMART_HOST_PORT ?? preset?.port ?? demo?.port ?? DEFAULT_PORT;
  const entries = fields.SMART_HOST ?? [
    { host: preset?.host(regionOf(fields)) ?? demo?.host ?? '', port: undefined },
  ];
  return entries.map((entry) => {
    const port = entry.port ?? defaultPort;
    const portRule = port === IMPLICIT_TLS_PORT ? 'implicit' : 'starttls';
    const portWritten = entry.port !== undefined || fields.SMART_HOST_PORT !== undefined;
    const tls =
      fields.SMART_HOST_TLS ??
      (demo !== undefined ? 'none' : !portWritten && preset !== undefined ? preset.tls : portRule);
    return { host: entry.host, port, tls };
  });
}

/** The variable's rate; else (unless it says off) the preset's. */
function rateOf(
  value: SendingRate | typeof NO_RATE_LIMIT | undefined,
  presetText: string | undefined,
): SendingRate | undefined {
  if (value === NO_RATE_LIMIT) return undefined;
  if (value !== undefined) return value;
  if (presetText === undefined) return undefined;
  const presetRate = parseSendingRate(presetText);
  return presetRate === NO_RATE_LIMIT ? undefined : presetRate;
}

export function toSmartHostConfig(fields: SmartHostFields): SmartHostConfig {
  const preset = presetOf(fields);
  const hosts = smartHostEndpoints(fields);
  const [first] = hosts;
  if (first === undefined) throw new Error('SMART_HOST yields no host'); // its parser refuses that
  const oauth2 = oauth2Requested(fields) ? toOAuth2Config(fields) : undefined;
  return {
    provider: fields.SMART_HOST_PROVIDER,
    region: regionOf(fields),
    demo: demoOf(fields) !== undefined,
    host: first.host,
    port: first.port,
    tls: first.tls,
    hosts,
    cooldownMs: fields.SMART_HOST_COOLDOWN,
    rate: rateOf(fields.SMART_HOST_RATE, preset?.rate),
    recipientRate: rateOf(fields.SMART_HOST_RECIPIENT_RATE, preset?.recipientRate),
    user: fields.SMART_HOST_USER ?? preset?.user,
    password: fields.SMART_HOST_PASSWORD,
    oauth2,
    authMethods: fields.SMART_HOST_AUTH_METHODS,
    caFile: fields.SMART_HOST_CA_FILE,
    tlsVerify: fields.SMART_HOST_TLS_VERIFY,
  };
}

// docs/reference.md "POP3 before SMTP": 995 (POP3S) with implicit TLS, else 110.
const POP3S_PORT = 995;
const POP3_PORT = 110;

/** SMART_HOST_POP3_*; undefined when SMART_HOST_POP3_HOST is not set. */
export function toPop3Config(fields: SenderFields): Pop3Config | undefined {
  const host = fields.SMART_HOST_POP3_HOST;
  if (host === undefined) return undefined;
  const tls = fields.SMART_HOST_POP3_TLS;
  return {
    host,
    port: fields.SMART_HOST_POP3_PORT ?? (tls === 'implicit' ? POP3S_PORT : POP3_PORT),
    tls,
    intervalMs: fields.SMART_HOST_POP3_INTERVAL,
  };
}
