import { toSmartHostConfig } from '../build-smart-host.ts';
import { checkVariables } from '../check-variables.ts';
import { SENDER_RULES } from '../cross-field-rules.ts';
import { readVariableTexts } from '../environment.ts';
import { InvalidValueError, type Problem } from '../errors.ts';
import { readTextFile } from '../file-values.ts';
import { senderSchema, type SenderFields } from '../schemas.ts';
import type { RouteConfig } from '../types.ts';
import { parseYaml } from './parse-yaml.ts';
import { ROUTE_VARIABLES, inRouteWords, keyOf, routeEnvironment } from './route-keys.ts';
import { routeSchema, routesFileSchema, type RouteEntry } from './route-schema.ts';
import { describeIssue, fileProblems, formatPath, type FileProblem } from './routes-file-issues.ts';

// SMART_HOST_ROUTES_FILE → routes (docs/reference.md "Failover, routes and rate limits").
// Each route's settings become the texts of the SMART_HOST_* variables and go through their
// own parsers, the same cross-field rules and the same builder as the default route's; only
// caFile, tlsVerify and cooldown (and dkimKeysDir) are taken from the environment when a
// route does not set them. Every problem of every route is reported at once.

const VARIABLE = 'SMART_HOST_ROUTES_FILE';

/** The settings a route takes from the environment when it does not set them. */
export const INHERITED_VARIABLES = [
  'SMART_HOST_CA_FILE',
  'SMART_HOST_TLS_VERIFY',
  'SMART_HOST_COOLDOWN',
  'DKIM_KEYS_DIR',
] as const;

export type RouteInheritance = Partial<Pick<SenderFields, (typeof INHERITED_VARIABLES)[number]>>;

const ROUTE_SHAPE = ROUTE_VARIABLES.map((name) => [name, senderSchema.shape[name]] as const);

const ROUTE_VARIABLE_NAMES: ReadonlySet<string> = new Set(ROUTE_VARIABLES);

// The rules about the smart host and its credentials; not those of other settings (POP3, Redis).
const ROUTE_RULES = SENDER_RULES.filter((rule) =>
  rule.uses.every((name) => ROUTE_VARIABLE_NAMES.has(name)),
);

export interface ReadRoutes {
  readonly routes: readonly RouteConfig[];
  /** Each about SMART_HOST_ROUTES_FILE, its message naming the place in the file. */
  readonly problems: readonly Problem[];
}

/** `environment`: the valid variables; routes take only INHERITED_VARIABLES from it. */
export function readRoutes(path: string, environment: RouteInheritance): ReadRoutes {
  const inherited = Object.fromEntries(
    INHERITED_VARIABLES.map((name) => [name, environment[name]]),
  ) as RouteInheritance;
  const found = routesOf(path, inherited);
  return {
    routes: found.routes,
    problems: found.problems.map(({ at, message }) => ({
      variable: VARIABLE,
      message: at === '' ? message : `${at}: ${message}`,
    })),
  };
}

function routesOf(
  path: string,
  inherited: RouteInheritance,
): { routes: RouteConfig[]; problems: FileProblem[] } {
  let text: string;
  try {
    text = readTextFile(path);
  } catch (error) {
    if (!(error instanceof InvalidValueError)) throw error;
    return { routes: [], problems: error.reasons.map((message) => ({ at: '', message })) };
  }
  const yaml = parseYaml(text);
  if (!yaml.ok) return { routes: [], problems: [...yaml.problems] };
  if (yaml.data === null || yaml.data === undefined) {
    return { routes: [], problems: [{ at: '', message: 'is empty' }] };
  }
  const file = routesFileSchema.safeParse(yaml.data, { error: describeIssue });
  if (!file.success) return { routes: [], problems: fileProblems(file.error.issues) };

  const routes: RouteConfig[] = [];
  const problems: FileProblem[] = [];
  const firstWithName = new Map<string, number>();
  file.data.routes.forEach((item, index) => {
    const at: PropertyKey[] = ['routes', index];
    const parsed = routeSchema.safeParse(item, { error: describeIssue });
    if (!parsed.success) {
      problems.push(...fileProblems(parsed.error.issues, at));
      return;
    }
    const { name } = parsed.data;
    const first = firstWithName.get(name);
    if (first === undefined) firstWithName.set(name, index);
    else {
      problems.push({
        at: formatPath([...at, 'name']),
        message: `"${name}" is already the name of routes[${String(first)}]`,
      });
    }
    const built = buildRoute(parsed.data, inherited);
    if ('route' in built) routes.push(built.route);
    else {
      for (const { variable, message } of built.problems) {
        problems.push({
          at: `${formatPath(at)}.${keyOf(variable)}`,
          message: inRouteWords(message),
        });
      }
    }
  });
  return { routes, problems };
}

function buildRoute(
  entry: RouteEntry,
  inherited: RouteInheritance,
): { route: RouteConfig } | { problems: readonly Problem[] } {
  const read = readVariableTexts(routeEnvironment(entry), ROUTE_VARIABLES);
  // Only the route's variables are parsed; the rules read no others (ROUTE_RULES).
  const { fields, problems } = checkVariables<SenderFields>(
    ROUTE_SHAPE,
    read,
    ROUTE_RULES,
    inherited,
  );
  if (problems.length > 0) return { problems };
  return {
    route: {
      name: entry.name,
      match: { senders: entry.match.senders ?? [], users: entry.match.users ?? [] },
      smartHost: toSmartHostConfig(fields),
      rewriteFrom: fields.REWRITE_FROM,
      dkimKeysDir: fields.DKIM_KEYS_DIR,
    },
  };
}
