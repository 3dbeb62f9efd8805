import { readFile } from 'node:fs/promises';
import {
  ConfigError,
  findConfigWarnings,
  loadSenderConfig,
  type Environment,
  type SenderConfig,
  type SmartHostConfig,
} from '@smtp-relay/config';
import { credentialsOf } from './auth-steps.ts';
import { describeError, failed, passed, warned, type DiagnosticStep } from './diagnostic-step.ts';

// The sender's configuration as the sender would load it: every problem at
// once (each names its variable first), then the warnings the sender logs at
// start-up, among them a HELO name that is not a fully qualified domain
// (smart hosts with reject_non_fqdn_helo_hostname refuse `EHLO vm`).

export type LoadedConfiguration =
  | { readonly config: undefined; readonly problems: readonly DiagnosticStep[] }
  | { readonly config: SenderConfig; readonly warnings: readonly DiagnosticStep[] };

const VARIABLE_PREFIX = /^([A-Z][A-Z0-9_]*): /;

function variableOf(text: string): string | undefined {
  return VARIABLE_PREFIX.exec(text)?.[1];
}

export function loadConfiguration(env: Environment): LoadedConfiguration {
  let config: SenderConfig;
  try {
    config = loadSenderConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return {
      config: undefined,
      problems: error.problems.map((problem) =>
        failed('config', problem, {
          cause:
            'The sender would not start with this value ("npx smtp-relay config sender" lists every setting).',
          variable: variableOf(problem),
        }),
      ),
    };
  }
  const warnings = findConfigWarnings(env, config).map((warning) =>
    warned('config', warning, { variable: variableOf(warning) }),
  );
  return { config, warnings };
}

/** SMART_HOST_CA_FILE's contents (a route's caFile), or the step that says it cannot be read. */
export async function readCaFile(
  smartHost: SmartHostConfig,
): Promise<{ readonly extraCa: Buffer | undefined } | { readonly step: DiagnosticStep }> {
  if (smartHost.caFile === undefined) return { extraCa: undefined };
  try {
    return { extraCa: await readFile(smartHost.caFile) };
  } catch (error) {
    return {
      step: failed(
        'config',
        `SMART_HOST_CA_FILE ${smartHost.caFile} cannot be read: ${describeError(error)}`,
        {
          cause:
            'Mount the CA certificate (PEM) where SMART_HOST_CA_FILE points, readable by this user.',
          variable: 'SMART_HOST_CA_FILE',
        },
      ),
    };
  }
}

/** The settings one host is checked with: its address and TLS mode, the login, the HELO name. */
export function describeConfiguration(
  smartHost: SmartHostConfig,
  heloName: string,
): DiagnosticStep {
  const credentials = credentialsOf(smartHost);
  const login =
    credentials.kind === undefined
      ? 'no login'
      : `login ${credentials.user ?? ''} with ${credentials.kind === 'oauth2' ? `OAuth2 (${smartHost.oauth2?.grant.kind ?? ''})` : 'a password'}`;
  const methods =
    smartHost.authMethods === undefined ? '' : ` (${smartHost.authMethods.join(' ')} only)`;
  const provider =
    smartHost.provider === undefined ? '' : ` via SMART_HOST_PROVIDER=${smartHost.provider}`;
  return passed(
    'config',
    [
      `smart host ${smartHost.host}:${String(smartHost.port)}${provider}, SMART_HOST_TLS=${smartHost.tls}`,
      `${login}${methods}`,
      `HELO ${heloName}`,
    ].join(', '),
  );
}
