import { OAUTH2_VARIABLES } from './build-smart-host.ts';
import { problem, ruleOn, type CrossFieldRule } from './cross-field-rule.ts';
import type { SenderFields } from './schemas.ts';

// docs/reference.md "POP3 before SMTP": the POP3 login is SMART_HOST_USER and
// SMART_HOST_PASSWORD, and it takes the place of SMTP AUTH.

const rule = ruleOn<SenderFields>();

const POP3_SETTINGS = [
  'SMART_HOST_POP3_PORT',
  'SMART_HOST_POP3_TLS',
  'SMART_HOST_POP3_INTERVAL',
] as const;

// A port or TLS mode without a host would be silently ignored: say so.
const withoutHostRule = rule(['SMART_HOST_POP3_HOST'], (fields, context) =>
  fields.SMART_HOST_POP3_HOST !== undefined
    ? []
    : POP3_SETTINGS.filter((name) => context.isSet(name)).flatMap((name) =>
        problem(name, 'has no effect without SMART_HOST_POP3_HOST'),
      ),
);

// Uses no OAuth2 value, only whether one is set (as the password rule does).
const credentialsRule = rule(
  ['SMART_HOST_POP3_HOST', 'SMART_HOST_USER', 'SMART_HOST_PASSWORD'],
  (fields, context) => {
    if (fields.SMART_HOST_POP3_HOST === undefined) return [];
    if (OAUTH2_VARIABLES.some((name) => context.isSet(name))) {
      return problem(
        'SMART_HOST_POP3_HOST',
        'cannot be combined with OAuth2 (SMART_HOST_OAUTH2_* variables): the POP3 login needs SMART_HOST_USER and SMART_HOST_PASSWORD',
      );
    }
    const missing = [
      ...(fields.SMART_HOST_USER === undefined ? ['SMART_HOST_USER'] : []),
      ...(fields.SMART_HOST_PASSWORD === undefined ? ['SMART_HOST_PASSWORD'] : []),
    ];
    return missing.length === 0
      ? []
      : problem('SMART_HOST_POP3_HOST', `needs ${missing.join(' and ')} (the POP3 login)`);
  },
);

const authMethodsRule = rule(['SMART_HOST_POP3_HOST', 'SMART_HOST_AUTH_METHODS'], (fields) =>
  fields.SMART_HOST_POP3_HOST !== undefined && fields.SMART_HOST_AUTH_METHODS !== undefined
    ? problem(
        'SMART_HOST_AUTH_METHODS',
        'has no effect with SMART_HOST_POP3_HOST: the POP3 login takes the place of SMTP AUTH',
      )
    : [],
);

export const POP3_RULES: readonly CrossFieldRule<SenderFields>[] = [
  withoutHostRule,
  credentialsRule,
  authMethodsRule,
];
