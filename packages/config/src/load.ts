import { hostname } from 'node:os';
import type * as z from 'zod';
import { toAllInOneConfig, toIngressConfig, toSenderConfig } from './build-config.ts';
import { INGRESS_RULES, SENDER_RULES, type CrossFieldRule } from './cross-field-rules.ts';
import { deepFreeze } from './deep-freeze.ts';
import { readDefaultGateway } from './default-gateway.ts';
import { readVariableTexts, type Environment } from './environment.ts';
import { checkVariables } from './check-variables.ts';
import { ConfigError, type Problem } from './errors.ts';
import { readRoutes } from './routes/read-routes.ts';
import { allInOneSchema, ingressSchema, senderSchema, type SenderFields } from './schemas.ts';
import { FILE_SUFFIX } from './secret-names.ts';
import { gatewayTrustRule } from './trust-rules.ts';
import type { AllInOneConfig, IngressConfig, RouteConfig, SenderConfig } from './types.ts';
import { VARIABLES } from './variables.ts';

export interface LoadOptions {
  /** SMTP_HOSTNAME when unset; default `os.hostname()` (a container's id in Docker) */
  readonly hostname?: string;
  /**
   * Where the trust rules read this container's default gateway; default /proc/net/route.
   * For tests, not a configuration variable.
   */
  readonly routeFile?: string;
}

// The one rule that reads this machine's state (its routing table), and only if it applies.
function gatewayRule(options: LoadOptions) {
  return gatewayTrustRule(() => readDefaultGateway(options.routeFile));
}

/** @throws ConfigError listing every problem */
export function loadIngressConfig(env: Environment, options: LoadOptions = {}): IngressConfig {
  const rules = [...INGRESS_RULES, gatewayRule(options)];
  const loaded = loadFields(ingressSchema, rules, env, options);
  throwOnProblems(loaded);
  return deepFreeze(toIngressConfig(loaded.fields));
}

/** @throws ConfigError listing every problem, those of SMART_HOST_ROUTES_FILE included */
export function loadSenderConfig(env: Environment, options: LoadOptions = {}): SenderConfig {
  const loaded = loadFields(senderSchema, SENDER_RULES, env, options);
  const routes = loadRoutesOf(loaded);
  throwOnProblems(loaded);
  return deepFreeze(toSenderConfig(loaded.fields, routes));
}

/** @throws ConfigError listing every problem */
export function loadAllInOneConfig(env: Environment, options: LoadOptions = {}): AllInOneConfig {
  // A rule of both services (REDIS_RULES) runs once.
  const rules = [...new Set([...INGRESS_RULES, ...SENDER_RULES]), gatewayRule(options)];
  const loaded = loadFields(allInOneSchema, rules, env, options);
  const routes = loadRoutesOf(loaded);
  throwOnProblems(loaded);
  return deepFreeze(toAllInOneConfig(loaded.fields, routes));
}

interface LoadedFields<F> {
  readonly fields: F;
  readonly problems: Problem[];
  readonly sources: ReadonlyMap<string, string>;
}

function loadFields<S extends z.ZodObject>(
  schema: S,
  rules: readonly CrossFieldRule<z.output<S>>[],
  env: Environment,
  options: LoadOptions,
): LoadedFields<z.output<S>> {
  const shape = Object.entries(schema.shape) as [string, z.ZodType][];
  const read = readVariableTexts(
    env,
    shape.map(([name]) => name),
  );
  if (read.texts['SMTP_HOSTNAME'] === undefined) {
    read.texts['SMTP_HOSTNAME'] = options.hostname ?? hostname();
    read.sources.set('SMTP_HOSTNAME', "not set, so this machine's host name was used");
  }
  const { fields, problems } = checkVariables(shape, read, rules);
  return { fields, problems, sources: read.sources };
}

/** SMART_HOST_ROUTES_FILE's routes ([] without one); its problems join the others. */
function loadRoutesOf(loaded: LoadedFields<Partial<SenderFields>>): readonly RouteConfig[] {
  const { fields } = loaded;
  // Unset, or invalid (and so already reported).
  if (fields.SMART_HOST_ROUTES_FILE === undefined) return [];
  const { routes, problems } = readRoutes(fields.SMART_HOST_ROUTES_FILE, fields);
  loaded.problems.push(...problems);
  return routes;
}

function throwOnProblems({ problems, sources }: LoadedFields<unknown>): void {
  if (problems.length > 0) throw new ConfigError(renderProblems(problems, sources));
}

const NAME_ORDER = new Map(VARIABLES.map(({ name }, index) => [name as string, index]));

function orderOf(variable: string): number {
  const base = variable.endsWith(FILE_SUFFIX) ? variable.slice(0, -FILE_SUFFIX.length) : variable;
  return NAME_ORDER.get(variable) ?? NAME_ORDER.get(base) ?? NAME_ORDER.size;
}

/** `NAME: message (where the value came from)`, in the order of the variable table so related lines sit together. */
function renderProblems(problems: readonly Problem[], sources: ReadonlyMap<string, string>) {
  return problems
    .toSorted((a, b) => orderOf(a.variable) - orderOf(b.variable))
    .map(({ variable, message }) => {
      const source = sources.get(variable);
      return `${variable}: ${message}${source === undefined ? '' : ` (${source})`}`;
    });
}
