import {
  ConfigError,
  findConfigWarnings,
  formatConfig,
  formatConfigJson,
  loadAllInOneConfig,
  loadIngressConfig,
  loadSenderConfig,
  type Environment,
} from '@smtp-relay/config';
import type { CommandIo } from '../command-io.ts';

export const CONFIG_USAGE = `Usage: smtp-relay config [all|ingress|sender] [--json]

Prints the effective configuration read from the environment (secrets
redacted), for the all-in-one process (default), the ingress or the sender.
Exits 1 listing every problem when the configuration is invalid.

Options:
  --json    one JSON object in the configuration's own shape (the smart host
            under "smartHost"), unset values as null`;

export interface ConfigOptions {
  readonly json: boolean;
}

const LOADERS = {
  all: loadAllInOneConfig,
  ingress: loadIngressConfig,
  sender: loadSenderConfig,
} as const;

export function runConfig(
  service: string | undefined,
  options: ConfigOptions,
  env: Environment,
  io: CommandIo,
): number {
  const name = service ?? 'all';
  if (!(name in LOADERS)) {
    io.error(CONFIG_USAGE);
    return 2;
  }
  try {
    const config = LOADERS[name as keyof typeof LOADERS](env);
    io.print(options.json ? formatConfigJson(config) : formatConfig(config));
    for (const warning of findConfigWarnings(env, config)) io.error(`warning: ${warning}`);
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.error(error.message);
    return 1;
  }
}
