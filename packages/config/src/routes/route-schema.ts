import { parseSenderPattern } from '@smtp-relay/policy';
import * as z from 'zod';
import { DEFAULT_ROUTE_NAME } from '../types.ts';

// The layout of SMART_HOST_ROUTES_FILE (docs/reference.md "Failover, routes and rate
// limits"). It checks the shape only: keys, types, route names and match patterns. What a
// value means (a port's range, a rate's syntax, the rules between settings) is checked by
// the variables' own parsers and rules (routes/read-routes.ts), so a route and the
// SMART_HOST_* variables can never disagree.

// Lower case, as in Redis keys and metric labels; `default` is the SMART_HOST_* route.
const ROUTE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Keys that would hold a secret: the file takes the name of a file holding it instead. */
export const SECRET_KEY_HINTS: ReadonlyMap<string, string> = new Map([
  ['password', 'passwordFile'],
  ['clientSecret', 'clientSecretFile'],
  ['refreshToken', 'refreshTokenFile'],
]);

/** A block whose unknown keys are errors (a typo must not be silently ignored). */
function block<const S extends z.ZodRawShape>(shape: S) {
  const known = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? `unknown key; the keys here are ${known}` : undefined,
  });
}

const text = z.string();
// Rates and durations read naturally unquoted (`rate: 0`, `cooldown: 30`): numbers too.
const textOrNumber = z.union([z.string(), z.number()], {
  error: 'expected a string such as 30/1m (or a number)',
});

const oauth2 = block({
  provider: text.optional(),
  tenant: text.optional(),
  tokenUrl: text.optional(),
  clientId: text.optional(),
  clientSecretFile: text.optional(),
  refreshTokenFile: text.optional(),
  serviceAccountFile: text.optional(),
  scope: text.optional(),
}).refine((settings) => Object.values(settings).some((value) => value !== undefined), {
  error:
    'is empty: set clientId and a grant (clientSecretFile, refreshTokenFile or serviceAccountFile), or leave oauth2 out',
});

const smartHost = block({
  host: text.optional(),
  port: z.number().optional(),
  tls: text.optional(),
  user: text.optional(),
  passwordFile: text.optional(),
  authMethods: z
    .union([text, z.array(text)], { error: 'expected a list or a comma-separated string' })
    .optional(),
  provider: text.optional(),
  region: text.optional(),
  oauth2: oauth2.optional(),
  rate: textOrNumber.optional(),
  recipientRate: textOrNumber.optional(),
  cooldown: textOrNumber.optional(),
  caFile: text.optional(),
  tlsVerify: z.boolean().optional(),
});

const senderPattern = text.superRefine((pattern, context) => {
  const parsed = parseSenderPattern(pattern);
  if (!parsed.ok) context.addIssue({ code: 'custom', message: parsed.problem });
});

const userName = text.regex(/^\S+$/, {
  error: 'must be a user name of SMTP_AUTH_FILE (no white space)',
});

const match = block({
  senders: z.array(senderPattern).optional(),
  users: z.array(userName).optional(),
}).refine((m) => (m.senders?.length ?? 0) + (m.users?.length ?? 0) > 0, {
  error: 'needs at least one sender pattern (senders) or user name (users)',
});

const name = text
  .regex(ROUTE_NAME, {
    error: 'must be 1-63 lower-case letters, digits, "-" or "_", starting with a letter or digit',
  })
  .refine((value) => value !== DEFAULT_ROUTE_NAME, {
    error: `"${DEFAULT_ROUTE_NAME}" is the name of the SMART_HOST_* route; choose another`,
  });

export const routeSchema = block({
  name,
  match,
  smartHost,
  rewriteFrom: text.optional(),
  dkimKeysDir: text.optional(),
});

export type RouteEntry = z.output<typeof routeSchema>;

/** The whole file: each route is checked on its own (routeSchema), so one bad route hides no other. */
export const routesFileSchema = block({
  routes: z.array(z.unknown()).min(1, { error: 'must list at least one route' }),
});
