import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

// The e2e harness runs each service with the command and environment that
// docker-compose.yml gives its container, so the file and the tests cannot
// drift apart. Compose's `${VAR:-default}`, `${VAR-default}` and `${VAR}` are
// resolved against the variables a test sets (what a user would put in `.env`).

export const REPOSITORY_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const COMPOSE_FILE = `${REPOSITORY_ROOT}docker-compose.yml`;

export interface ComposeService {
  readonly command: readonly string[];
  readonly environment: Readonly<Record<string, string>>;
}

interface ComposeFile {
  services?: Record<string, { command?: unknown; environment?: unknown }>;
}

const INTERPOLATION = /\$\{([A-Z0-9_]+)(?:(:?)-([^}]*))?\}/g;

/** `${VAR:-d}`: d when VAR is unset or empty; `${VAR-d}`: d only when it is unset. */
function interpolate(
  value: string,
  variables: Readonly<Record<string, string | undefined>>,
): string {
  return value.replace(
    INTERPOLATION,
    (_match, name: string, colon: string | undefined, fallback: string | undefined) => {
      const given = variables[name];
      const useGiven = given !== undefined && (given !== '' || colon === '');
      return useGiven ? given : (fallback ?? '');
    },
  );
}

export function readComposeService(
  name: string,
  variables: Readonly<Record<string, string | undefined>> = {},
): ComposeService {
  const file = parse(readFileSync(COMPOSE_FILE, 'utf8')) as ComposeFile;
  const service = file.services?.[name];
  if (!service) throw new Error(`docker-compose.yml has no service ${name}`);
  const { command, environment } = service;
  if (!Array.isArray(command) || !command.every((part) => typeof part === 'string')) {
    throw new Error(`service ${name}: command must be a list of strings`);
  }
  const resolved: Record<string, string> = {};
  if (environment !== null && typeof environment === 'object' && !Array.isArray(environment)) {
    for (const [key, value] of Object.entries(environment as Record<string, unknown>)) {
      const text = interpolate(
        typeof value === 'string' || typeof value === 'number' ? String(value) : '',
        variables,
      );
      // Compose passes empty values as empty strings; the services treat '' as unset.
      resolved[key] = text;
    }
  }
  return { command: command.map(fromSources), environment: resolved };
}

/**
 * The image runs each service from the JavaScript its build strips from the
 * TypeScript (docs/adr/015); a checkout has the TypeScript only, which Node
 * strips the same way at start. So `services/x/src/main.js` runs as
 * `services/x/src/main.ts` here when the checkout has no such .js.
 */
function fromSources(part: string): string {
  if (!/^services\/[a-z-]+\/src\/main\.js$/.test(part)) return part;
  if (existsSync(`${REPOSITORY_ROOT}${part}`)) return part;
  return part.replace(/\.js$/, '.ts');
}
