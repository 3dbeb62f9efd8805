import {
  ConfigError,
  loadSenderConfig,
  redactUrlCredentials,
  type Environment,
  type SenderConfig,
} from '@smtp-relay/config';
import { OAuth2Error } from '@smtp-relay/smart-host';
import type { CommandIo } from '../command-io.ts';
import { openTokenSource } from '../oauth2-token-source.ts';
import { adviseOnOAuth2Failure, describeOAuth2Failure } from './oauth2-advice.ts';

// `npx smtp-relay oauth2 check`: one token request with the configured grant,
// as the senders make it. Shows what came back except the token itself.

export interface OAuth2CheckOptions {
  readonly json: boolean;
}

/** What is printed: a token's facts, or why there is none. Never a token or secret. */
type CheckReport =
  | {
      readonly ok: true;
      readonly grant: string;
      readonly provider: string;
      readonly tokenEndpoint: string;
      readonly mailbox: string;
      readonly scope: string | null;
      readonly expiresAt: string;
      readonly expiresInMinutes: number;
      readonly sharedState: boolean;
      readonly redis: string;
    }
  | {
      readonly ok: false;
      readonly reason: string;
      readonly error: string;
      readonly advice: string;
      readonly tokenEndpoint?: string;
    };

export async function runOAuth2Check(
  options: OAuth2CheckOptions,
  env: Environment,
  io: CommandIo,
  now: () => number = Date.now,
): Promise<number> {
  const report = await check(env, now);
  if (options.json) io.print(JSON.stringify(report, null, 2));
  else if (report.ok) io.print(renderSuccess(report));
  else io.error(renderFailure(report));
  return report.ok ? 0 : 1;
}

async function check(env: Environment, now: () => number): Promise<CheckReport> {
  let config: SenderConfig;
  try {
    config = loadSenderConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return {
      ok: false,
      reason: 'config',
      error: error.message,
      advice: 'Fix the variables listed ("npx smtp-relay config sender" shows them all).',
    };
  }
  const { oauth2, user } = config.smartHost;
  if (oauth2 === undefined || user === undefined) {
    return {
      ok: false,
      reason: 'not_configured',
      error: 'OAuth2 is not configured: no SMART_HOST_OAUTH2_* variable is set',
      advice:
        'Set SMART_HOST_USER, SMART_HOST_OAUTH2_CLIENT_ID and a grant (SMART_HOST_OAUTH2_REFRESH_TOKEN_FILE from "npx smtp-relay oauth2 login", SMART_HOST_OAUTH2_CLIENT_SECRET or SMART_HOST_OAUTH2_SERVICE_ACCOUNT_FILE).',
    };
  }
  const tokenEndpoint = new URL(oauth2.tokenUrl).host;
  const source = await openTokenSource(config.smartHost, config);
  if (source === undefined) throw new Error('OAuth2 configured but no token source');
  try {
    const token = await source.tokens.refresh();
    return {
      ok: true,
      grant: oauth2.grant.kind,
      provider: oauth2.provider,
      tokenEndpoint,
      mailbox: user,
      scope: token.scope ?? null,
      expiresAt: new Date(token.expiresAt).toISOString(),
      expiresInMinutes: Math.round((token.expiresAt - now()) / 60_000),
      sharedState: source.shared,
      redis: redactUrlCredentials(config.redisUrl),
    };
  } catch (error) {
    if (!(error instanceof OAuth2Error)) throw error;
    return {
      ok: false,
      reason: error.reason,
      error: describeOAuth2Failure(error),
      advice: adviseOnOAuth2Failure(error, { command: 'check', grant: oauth2.grant.kind }),
      tokenEndpoint,
    };
  } finally {
    await source.close();
  }
}

function renderSuccess(report: Extract<CheckReport, { ok: true }>): string {
  const shared = report.sharedState
    ? `used (${report.redis}): the token is cached there for the senders`
    : `not used (${report.redis} did not answer): asked with the configured credentials only; a refresh token the endpoint rotated now was not kept, run the check where Redis answers if yours rotates them`;
  return [
    `OAuth2 token obtained for ${report.mailbox}.`,
    `  grant:          ${report.grant}`,
    `  provider:       ${report.provider}`,
    `  token endpoint: ${report.tokenEndpoint}`,
    `  scope:          ${report.scope ?? '(not stated by the endpoint)'}`,
    `  expires:        ${report.expiresAt} (in ${String(report.expiresInMinutes)} minutes)`,
    `  shared state:   ${shared}`,
  ].join('\n');
}

function renderFailure(report: Extract<CheckReport, { ok: false }>): string {
  // Errors without an OAuth2 error code name the endpoint already.
  const where =
    report.tokenEndpoint === undefined || report.error.includes(report.tokenEndpoint)
      ? ''
      : ` (token endpoint ${report.tokenEndpoint})`;
  return [`oauth2 check failed${where}: ${report.error}`, `What to do: ${report.advice}`].join(
    '\n',
  );
}
