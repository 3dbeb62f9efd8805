import { readFile } from 'node:fs/promises';
import {
  ConfigError,
  findConfigWarnings,
  loadSenderConfig,
  type Environment,
  type SenderConfig,
} from '@smtp-relay/config';
import { credentialsOf } from './auth-steps.ts';
import { describeError, failed, passed, warned, type DiagnosticStep } from './diagnostic-step.ts';

// The sender's configuration as the sender would load it: every problem at
// once (each names its variable first), then the warnings the sender logs at
// start-up, among them a HELO name that is not a fully qualified domain
// (smart hosts with reject_non_fqdn_helo_hostname refuse `EHLO vm`).

export interface LoadedConfiguration {
  readonly steps: readonly DiagnosticStep[];
  readonly config: SenderConfig | undefined;
  /** SMART_HOST_CA_FILE's contents. */
  readonly extraCa: Buffer | undefined;
}

const VARIABLE_PREFIX = /^([A-Z][A-Z0-9_]*): /;

function variableOf(text: string): string | undefined {
  return VARIABLE_PREFIX.exec(text)?.[1];
}

export async function loadConfiguration(env: Environment): Promise<LoadedConfiguration> {
  let config: SenderConfig;
  try {
    config = loadSenderConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return {
      steps: error.problems.map((problem) =>
        failed('config', problem, {
          cause:
            'The sender would not start with this value ("npx smtp-relay config sender" lists every setting).',
          variable: variableOf(problem),
        }),
      ),
      config: undefined,
      extraCa: undefined,
    };
  }
  const { smartHost } = config;
  let extraCa: Buffer | undefined;
  if (smartHost.caFile !== undefined) {
    try {
      extraCa = await readFile(smartHost.caFile);
    } catch (error) {
      return {
        steps: [
          failed(
            'config',
            `SMART_HOST_CA_FILE ${smartHost.caFile} cannot be read: ${describeError(error)}`,
            {
              cause:
                'Mount the CA certificate (PEM) where SMART_HOST_CA_FILE points, readable by this user.',
              variable: 'SMART_HOST_CA_FILE',
            },
          ),
        ],
        config: undefined,
        extraCa: undefined,
      };
    }
  }
  const warnings = findConfigWarnings(env, config).map((warning) =>
    warned('config', warning, { variable: variableOf(warning) }),
  );
  return {
    steps: [passed('config', describeConfiguration(config)), ...warnings],
    config,
    extraCa,
  };
}

function describeConfiguration(config: SenderConfig): string {
  const { smartHost } = config;
  const credentials = credentialsOf(smartHost);
  const login =
    credentials.kind === undefined
      ? 'no login'
      : `login ${credentials.user ?? ''} with ${credentials.kind === 'oauth2' ? `OAuth2 (${smartHost.oauth2?.grant.kind ?? ''})` : 'a password'}`;
  const methods =
    smartHost.authMethods === undefined ? '' : ` (${smartHost.authMethods.join(' ')} only)`;
  const provider =
    smartHost.provider === undefined ? '' : ` via SMART_HOST_PROVIDER=${smartHost.provider}`;
  return [
    `smart host ${smartHost.host}:${String(smartHost.port)}${provider}, SMART_HOST_TLS=${smartHost.tls}`,
    `${login}${methods}`,
    `HELO ${config.heloName}`,
  ].join(', ');
}
