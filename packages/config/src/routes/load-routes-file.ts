import { deepFreeze } from '../deep-freeze.ts';
import type { Environment } from '../environment.ts';
import { ConfigError } from '../errors.ts';
import { senderSchema } from '../schemas.ts';
import type { RouteConfig } from '../types.ts';
import { INHERITED_VARIABLES, readRoutes } from './read-routes.ts';

/**
 * The routes of one SMART_HOST_ROUTES_FILE on their own, as loadSenderConfig builds them
 * (for tests and tools). `env` supplies what routes take from the environment
 * (SMART_HOST_CA_FILE, SMART_HOST_TLS_VERIFY, SMART_HOST_COOLDOWN, DKIM_KEYS_DIR); an
 * invalid one of those is ignored here (loadSenderConfig reports it).
 * @throws ConfigError listing every problem of the file
 */
export function loadRoutesFile(path: string, env: Environment = {}): readonly RouteConfig[] {
  const inherited: Record<string, unknown> = {};
  for (const name of INHERITED_VARIABLES) {
    const text = env[name]?.trim();
    const parsed = senderSchema.shape[name].safeParse(text === '' ? undefined : text);
    if (parsed.success) inherited[name] = parsed.data;
  }
  const { routes, problems } = readRoutes(path, inherited);
  if (problems.length > 0) {
    throw new ConfigError(problems.map(({ variable, message }) => `${variable}: ${message}`));
  }
  return deepFreeze(routes);
}
