import {
  OAUTH2_VARIABLES,
  oauth2GrantKind,
  oauth2ProviderOf,
  oauth2Requested,
  oauth2Tenant,
  oauth2TokenUrl,
  serviceAccountTokenUrl,
  smartHostEndpoints,
} from './build-smart-host.ts';
import { problem, ruleOn, type CrossFieldRule } from './cross-field-rule.ts';
import type { Problem } from './errors.ts';
import { InvalidValueError } from './errors.ts';
import { MULTI_TENANT_ALIASES, parseTokenUrl } from './oauth2-values.ts';
import { PROVIDER_PRESETS, SMART_HOST_PROVIDERS } from './provider-presets.ts';
import type { SenderFields } from './schemas.ts';
import { formatHostAndPort } from './smart-host-list.ts';

// Rules between the smart-host variables: presets, regions, password versus OAuth2.
// Each names the variable to change and says why, in the operator's terms.

const rule = ruleOn<SenderFields>();

const REGIONAL = SMART_HOST_PROVIDERS.filter((name) => PROVIDER_PRESETS[name].regions);

const hostRule = rule(
  ['SMART_HOST', 'SMART_HOST_PROVIDER', 'SMART_HOST_REGION', 'DEMO_SMART_HOST'],
  (fields) => {
    const { SMART_HOST: host, SMART_HOST_PROVIDER: provider, SMART_HOST_REGION: region } = fields;
    if (provider === undefined) {
      return [
        ...(host === undefined && fields.DEMO_SMART_HOST === undefined
          ? problem('SMART_HOST', 'required (or set SMART_HOST_PROVIDER)')
          : []),
        ...(region === undefined
          ? []
          : problem('SMART_HOST_REGION', 'has no effect without SMART_HOST_PROVIDER')),
      ];
    }
    const { regions } = PROVIDER_PRESETS[provider];
    if (regions === undefined) {
      return region === undefined
        ? []
        : problem(
            'SMART_HOST_REGION',
            `only the ${REGIONAL.join(' and ')} presets have regions, not ${provider}`,
          );
    }
    if (region !== undefined && !regions.pattern.test(region)) {
      return problem(
        'SMART_HOST_REGION',
        `is not a ${provider} region (such as ${regions.example}), got "${region}"`,
      );
    }
    if (region === undefined && regions.default === undefined && host === undefined) {
      return problem(
        'SMART_HOST_REGION',
        `required with SMART_HOST_PROVIDER=${provider} (such as ${regions.example}): its SMTP credentials belong to one region`,
      );
    }
    return [];
  },
);

const presetPortRule = rule(
  ['SMART_HOST_PROVIDER', 'SMART_HOST_PORT', 'SMART_HOST'],
  ({ SMART_HOST_PROVIDER: provider, SMART_HOST_PORT: port, SMART_HOST: entries }) => {
    const refused = provider === undefined ? undefined : PROVIDER_PRESETS[provider].refusedPorts;
    if (refused === undefined) return [];
    const portReason = port === undefined ? undefined : refused.get(port);
    return [
      ...(portReason === undefined ? [] : problem('SMART_HOST_PORT', portReason)),
      ...(entries ?? []).flatMap(({ host, port: entryPort }) => {
        if (entryPort === undefined) return [];
        const reason = refused.get(entryPort);
        return reason === undefined
          ? []
          : problem('SMART_HOST', `entry "${formatHostAndPort(host, entryPort)}": ${reason}`);
      }),
    ];
  },
);

// `a.example,a.example:587` is one host twice once SMART_HOST_PORT (or 587) applies.
const twiceRule = rule(
  [
    'SMART_HOST',
    'SMART_HOST_PORT',
    'SMART_HOST_TLS',
    'SMART_HOST_PROVIDER',
    'SMART_HOST_REGION',
    'DEMO_SMART_HOST',
  ],
  (fields) => {
    const seen = new Set<string>();
    const problems: Problem[] = [];
    for (const { host, port } of smartHostEndpoints(fields)) {
      const key = formatHostAndPort(host.toLowerCase(), port);
      if (seen.has(key)) problems.push({ variable: 'SMART_HOST', message: `lists ${key} twice` });
      seen.add(key);
    }
    return problems;
  },
);

// Uses no OAuth2 value, only whether one is set: a bad SMART_HOST_OAUTH2_* value must
// not hide a missing mailbox or a password set beside OAuth2.
const passwordRule = rule(
  ['SMART_HOST_USER', 'SMART_HOST_PASSWORD', 'SMART_HOST_PROVIDER'],
  (fields, context) => {
    const user = fields.SMART_HOST_USER;
    const password = fields.SMART_HOST_PASSWORD;
    const provider = fields.SMART_HOST_PROVIDER;
    if (OAUTH2_VARIABLES.some((name) => context.isSet(name))) {
      return [
        ...(user === undefined
          ? problem('SMART_HOST_USER', 'required with OAuth2: the mailbox to send as')
          : []),
        ...(password === undefined
          ? []
          : problem(
              'SMART_HOST_PASSWORD',
              'cannot be combined with OAuth2 (SMART_HOST_OAUTH2_* variables); set one of them',
            )),
      ];
    }
    const presetUser = provider === undefined ? undefined : PROVIDER_PRESETS[provider].user;
    if (user === undefined && presetUser !== undefined && password === undefined) {
      return problem(
        'SMART_HOST_PASSWORD',
        `required with SMART_HOST_PROVIDER=${provider ?? ''} (the API key; the user name is "${presetUser}")`,
      );
    }
    if (user !== undefined && password === undefined) {
      return problem('SMART_HOST_PASSWORD', 'required when SMART_HOST_USER is set (or use OAuth2)');
    }
    if (user === undefined && presetUser === undefined && password !== undefined) {
      return problem('SMART_HOST_USER', 'required when SMART_HOST_PASSWORD is set');
    }
    return [];
  },
);

function oauth2GrantProblems(
  fields: Pick<SenderFields, (typeof OAUTH2_VARIABLES)[number] | 'SMART_HOST_PROVIDER'>,
): Problem[] {
  const problems: Problem[] = [];
  const provider = oauth2ProviderOf(fields);
  const grant = oauth2GrantKind(fields);
  const add = (variable: string, message: string) => problems.push({ variable, message });
  if (grant === 'service-account' && provider === 'microsoft') {
    add(
      'SMART_HOST_OAUTH2_SERVICE_ACCOUNT_FILE',
      'is a Google grant (JWT bearer), but SMART_HOST_OAUTH2_PROVIDER is microsoft: use a client secret or a refresh token for Microsoft 365',
    );
  }
  const keyFileUrl = serviceAccountTokenUrl(fields);
  if (keyFileUrl !== undefined) {
    try {
      parseTokenUrl(keyFileUrl);
    } catch (error) {
      if (!(error instanceof InvalidValueError)) throw error;
      add(
        'SMART_HOST_OAUTH2_SERVICE_ACCOUNT_FILE',
        `its "token_uri" ${error.reasons.join('; ')} (or set SMART_HOST_OAUTH2_TOKEN_URL)`,
      );
    }
  }
  if (oauth2TokenUrl(fields) === undefined) {
    add(
      'SMART_HOST_OAUTH2_TOKEN_URL',
      'required with SMART_HOST_OAUTH2_PROVIDER=generic (or set SMART_HOST_OAUTH2_PROVIDER to microsoft or google)',
    );
  }
  if (grant !== 'service-account' && fields.SMART_HOST_OAUTH2_CLIENT_ID === undefined) {
    add('SMART_HOST_OAUTH2_CLIENT_ID', 'required with OAuth2: the application (client) id');
  }
  if (grant === 'client-credentials') {
    if (provider === 'google') {
      add(
        'SMART_HOST_OAUTH2_REFRESH_TOKEN',
        'Google has no app-only grant: set SMART_HOST_OAUTH2_REFRESH_TOKEN (npx smtp-relay oauth2 login) or SMART_HOST_OAUTH2_SERVICE_ACCOUNT_FILE',
      );
    } else if (fields.SMART_HOST_OAUTH2_CLIENT_SECRET === undefined) {
      add(
        'SMART_HOST_OAUTH2_CLIENT_SECRET',
        'required for the app-only (client credentials) grant; for a delegated grant set SMART_HOST_OAUTH2_REFRESH_TOKEN instead',
      );
    }
    const tenant = oauth2Tenant(fields);
    if (
      provider === 'microsoft' &&
      fields.SMART_HOST_OAUTH2_TOKEN_URL === undefined &&
      MULTI_TENANT_ALIASES.includes(tenant.toLowerCase())
    ) {
      add(
        'SMART_HOST_OAUTH2_TENANT',
        `must name your tenant (its id or a domain such as example.onmicrosoft.com) for the app-only grant; "${tenant}" works only for delegated sign-in`,
      );
    }
  }
  return problems;
}

const oauth2Rule = rule(
  ['SMART_HOST_PROVIDER', 'SMART_HOST_AUTH_METHODS', ...OAUTH2_VARIABLES],
  (fields) => {
    const methods = fields.SMART_HOST_AUTH_METHODS;
    if (!oauth2Requested(fields)) {
      return methods?.length === 1 && methods[0] === 'XOAUTH2'
        ? problem(
            'SMART_HOST_AUTH_METHODS',
            'XOAUTH2 needs OAuth2 settings (SMART_HOST_OAUTH2_CLIENT_ID and a grant)',
          )
        : [];
    }
    return [
      ...oauth2GrantProblems(fields),
      ...(methods === undefined || methods.includes('XOAUTH2')
        ? []
        : problem(
            'SMART_HOST_AUTH_METHODS',
            'must include XOAUTH2 when OAuth2 is configured (SMART_HOST_OAUTH2_* variables)',
          )),
    ];
  },
);

// A bearer token is as good as a password: never in clear text, like the token URL rule.
const oauth2TlsRule = rule(['SMART_HOST_TLS'], (fields, context) =>
  fields.SMART_HOST_TLS === 'none' && OAUTH2_VARIABLES.some((name) => context.isSet(name))
    ? problem(
        'SMART_HOST_TLS',
        'none would send the OAuth2 access token in clear text: use starttls or implicit with OAuth2',
      )
    : [],
);

export const SMART_HOST_RULES: readonly CrossFieldRule<SenderFields>[] = [
  oauth2TlsRule,
  hostRule,
  presetPortRule,
  twiceRule,
  passwordRule,
  oauth2Rule,
];
