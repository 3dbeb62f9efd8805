import { hostname } from 'node:os';
import type * as z from 'zod';
import { toAllInOneConfig, toIngressConfig, toSenderConfig } from './build-config.ts';
import { INGRESS_RULES, SENDER_RULES, type CrossFieldRule } from './cross-field-rules.ts';
import { deepFreeze } from './deep-freeze.ts';
import { readDefaultGateway } from './default-gateway.ts';
import { readVariableTexts, type Environment } from './environment.ts';
import { ConfigError, type Problem } from './errors.ts';
import { allInOneSchema, ingressSchema, senderSchema } from './schemas.ts';
import { FILE_SUFFIX } from './secret-names.ts';
import { gatewayTrustRule } from './trust-rules.ts';
import type { AllInOneConfig, IngressConfig, SenderConfig } from './types.ts';
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
  return deepFreeze(toIngressConfig(loadFields(ingressSchema, rules, env, options)));
}

/** @throws ConfigError listing every problem */
export function loadSenderConfig(env: Environment, options: LoadOptions = {}): SenderConfig {
  return deepFreeze(toSenderConfig(loadFields(senderSchema, SENDER_RULES, env, options)));
}

/** @throws ConfigError listing every problem */
export function loadAllInOneConfig(env: Environment, options: LoadOptions = {}): AllInOneConfig {
  // A rule of both services (REDIS_RULES) runs once.
  const rules = [...new Set([...INGRESS_RULES, ...SENDER_RULES]), gatewayRule(options)];
  return deepFreeze(toAllInOneConfig(loadFields(allInOneSchema, rules, env, options)));
}

function loadFields<S extends z.ZodObject>(
  schema: S,
  rules: readonly CrossFieldRule<z.output<S>>[],
  env: Environment,
  options: LoadOptions,
): z.output<S> {
  const shape = Object.entries(schema.shape) as [string, z.ZodType][];
  const { texts, problems, unreadable, sources } = readVariableTexts(
    env,
    shape.map(([name]) => name),
  );
  if (texts['SMTP_HOSTNAME'] === undefined) {
    texts['SMTP_HOSTNAME'] = options.hostname ?? hostname();
    sources.set('SMTP_HOSTNAME', "not set, so this machine's host name was used");
  }

  // Each variable on its own, so that one bad value hides no other problem.
  const fields: Record<string, unknown> = {};
  const invalid = new Set(unreadable);
  for (const [name, fieldSchema] of shape) {
    if (invalid.has(name)) continue;
    const result = fieldSchema.safeParse(texts[name]);
    if (result.success) {
      fields[name] = result.data;
    } else {
      invalid.add(name);
      problems.push(...result.error.issues.map(({ message }) => ({ variable: name, message })));
    }
  }
  const context = {
    isSet: (name: string) => texts[name] !== undefined || unreadable.has(name) || invalid.has(name),
  };
  for (const rule of rules) {
    // A rule reads only its `uses`, and those parsed: the partial object is enough.
    if (!rule.uses.some((name) => invalid.has(name))) {
      problems.push(...rule.check(fields as z.output<S>, context));
    }
  }
  if (problems.length > 0) throw new ConfigError(renderProblems(problems, sources));
  return fields as z.output<S>;
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
