import { defaultScope, defaultTokenUrl, readServiceAccountKey } from './oauth2-values.ts';
import { PROVIDER_PRESETS, presetRegion } from './provider-presets.ts';
import type { SenderFields } from './schemas.ts';
import type {
  OAuth2Config,
  OAuth2Grant,
  OAuth2Provider,
  Pop3Config,
  SmartHostConfig,
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

export function toSmartHostConfig(fields: SenderFields): SmartHostConfig {
  const provider = fields.SMART_HOST_PROVIDER;
  const preset = provider === undefined ? undefined : PROVIDER_PRESETS[provider];
  const region =
    preset === undefined
      ? fields.SMART_HOST_REGION
      : presetRegion(preset, fields.SMART_HOST_REGION);
  // The compose file's capture smart host, until the operator names a real one.
  const demo =
    fields.SMART_HOST === undefined && preset === undefined ? fields.DEMO_SMART_HOST : undefined;
  const port = fields.SMART_HOST_PORT ?? preset?.port ?? demo?.port ?? DEFAULT_PORT;
  // docs/reference.md "Provider presets": an explicit port without SMART_HOST_TLS takes the TLS mode of the port rule.
  const portRule = port === IMPLICIT_TLS_PORT ? 'implicit' : 'starttls';
  const tls =
    fields.SMART_HOST_TLS ??
    (demo !== undefined
      ? 'none'
      : fields.SMART_HOST_PORT === undefined && preset !== undefined
        ? preset.tls
        : portRule);
  const oauth2 = oauth2Requested(fields) ? toOAuth2Config(fields) : undefined;
  return {
    provider,
    region,
    demo: demo !== undefined,
    host: fields.SMART_HOST ?? preset?.host(region) ?? demo?.host ?? '',
    port,
    tls,
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
