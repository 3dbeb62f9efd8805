// What the Kubernetes manifests are held against: the configuration variables, the
// services' commands and images in docker-compose.yml, Redis' settings, the metrics.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FILE_SUFFIX, VARIABLES, isSecretName, type Variable } from '@smtp-relay/config';
import { createMetrics, registerQueueDepth } from '@smtp-relay/observability';
import { parse } from 'yaml';

export const REPOSITORY_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const K8S_ROOT = join(REPOSITORY_ROOT, 'infra/k8s');

/** docs/reference.md: on SIGTERM every service exits within 30 s. */
export const SHUTDOWN_DEADLINE_SECONDS = 30;

/** The uid of the image's `node` user (infra/Dockerfile: USER node). */
export const RELAY_UID = 1000;

const BY_NAME: ReadonlyMap<string, Variable> = new Map(VARIABLES.map((v) => [v.name, v]));

/** The variable a name sets: NAME itself, or NAME_FILE for a secret NAME. */
export function variableFor(name: string): Variable | undefined {
  const direct = BY_NAME.get(name);
  if (direct !== undefined) return direct;
  if (!name.endsWith(FILE_SUFFIX)) return undefined;
  const base = BY_NAME.get(name.slice(0, -FILE_SUFFIX.length));
  return base !== undefined && isSecretName(base.name) ? base : undefined;
}

/** Variables whose value is the path of a file the service reads. */
export function isFileVariable(name: string): boolean {
  return name.endsWith(FILE_SUFFIX) && variableFor(name) !== undefined;
}

export interface ComposeService {
  /** with `${VAR:-default}` resolved to the default, as without a .env */
  readonly image: string;
  /** as written: `${VAR:-default}` parts stand for any value */
  readonly command: readonly string[];
}

const INTERPOLATION = /\$\{[A-Za-z0-9_]+(?::?-([^}]*))?\}/g;

export function readComposeServices(): ReadonlyMap<string, ComposeService> {
  const text = readFileSync(join(REPOSITORY_ROOT, 'docker-compose.yml'), 'utf8');
  // merge: the relay services take their image from a YAML anchor (`<<: *...`)
  const file = parse(text, { merge: true }) as {
    services: Record<string, { image: string; command?: string[] }>;
  };
  return new Map(
    Object.entries(file.services).map(([name, service]) => [
      name,
      {
        image: service.image.replace(INTERPOLATION, (_match, fallback?: string) => fallback ?? ''),
        command: service.command ?? [],
      },
    ]),
  );
}

/** Whether a command is compose's, reading each `${VAR:-default}` in it as any text. */
export function isComposeCommand(actual: readonly string[], compose: readonly string[]): boolean {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return (
    actual.length === compose.length &&
    compose.every((part, index) => {
      const pattern = part.replace(INTERPOLATION, '\0').split('\0').map(escape).join('.*');
      return new RegExp(`^${pattern}$`).test(actual[index] ?? '');
    })
  );
}

/** Directive → value of a redis.conf (comments and blank lines left out). */
export function redisDirectives(text: string): Map<string, string> {
  const directives = new Map<string, string>();
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (line === '' || line.startsWith('#')) continue;
    const [name = '', ...value] = line.split(/\s+/);
    directives.set(name.toLowerCase(), value.join(' '));
  }
  return directives;
}

export function readComposeRedisConf(): Map<string, string> {
  return redisDirectives(readFileSync(join(REPOSITORY_ROOT, 'infra/redis/redis.conf'), 'utf8'));
}

const REDIS_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1000,
  kb: 1024,
  m: 1000 ** 2,
  mb: 1024 ** 2,
  g: 1000 ** 3,
  gb: 1024 ** 3,
};

/** A Redis memory size ("320mb") in bytes. */
export function redisBytes(text: string): number {
  const match = /^(\d+)([a-z]*)$/i.exec(text);
  const factor = match ? REDIS_UNITS[(match[2] ?? '').toLowerCase()] : undefined;
  if (!match || factor === undefined) throw new Error(`not a Redis memory size: ${text}`);
  return Number(match[1]) * factor;
}

/** The /metrics text of a sender whose queue has `waiting` messages. */
export async function senderMetricsText(waiting: number): Promise<string> {
  const metrics = createMetrics();
  registerQueueDepth(metrics, () => Promise.resolve({ waiting, delayed: 0 }));
  return metrics.registry.metrics();
}
