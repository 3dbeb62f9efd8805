import { open } from 'node:fs/promises';
import {
  formatProblems,
  InvalidValueError,
  parseDuration,
  type Environment,
} from '@smtp-relay/config';
import { OAuth2Error, createTokenEndpointCall, type TokenResponse } from '@smtp-relay/smart-host';
import type { CommandIo } from '../command-io.ts';
import { runAuthorizationCodeFlow } from '../oauth2-login/authorization-code-flow.ts';
import { runDeviceCodeFlow } from '../oauth2-login/device-code-flow.ts';
import { LoginError } from '../oauth2-login/login-error.ts';
import { readLoginSettings, type LoginSettings } from '../oauth2-login/login-settings.ts';
import { adviseOnOAuth2Failure, describeOAuth2Failure } from './oauth2-advice.ts';

// `npx smtp-relay oauth2 login`: the first refresh token of a delegated grant,
// obtained by the operator signing in once. Instructions go to stderr, so that
// stdout carries the token alone (`... oauth2 login > token-file` works).

export interface OAuth2LoginOptions {
  /** write the token to this file (mode 0600) instead of stdout */
  readonly output: string | undefined;
  readonly deviceCodeUrl: string | undefined;
  readonly authorizationUrl: string | undefined;
  /** Google: how long to wait for the browser (duration text, default 5m) */
  readonly timeout: string | undefined;
}

const GOOGLE_AUTHORIZATION_URL = 'https://accounts.google.com/o/oauth2/v2/auth';
const DEFAULT_TIMEOUT_MS = 5 * 60_000;
const ENDPOINT_TIMEOUT_MS = 30_000;

export async function runOAuth2Login(
  options: OAuth2LoginOptions,
  env: Environment,
  io: CommandIo,
): Promise<number> {
  const loaded = await readLoginSettings(env);
  if (!loaded.ok) {
    io.error(formatProblems('oauth2 login cannot start', loaded.problems));
    return 1;
  }
  const { settings } = loaded;
  const parsed = parseOptions(options, settings);
  if (typeof parsed === 'string') {
    io.error(parsed);
    return 2;
  }
  let response: TokenResponse;
  try {
    response = await signIn(settings, parsed, io);
  } catch (error) {
    if (error instanceof OAuth2Error) {
      io.error(`oauth2 login failed: ${describeOAuth2Failure(error)}`);
      io.error(`What to do: ${adviseOnOAuth2Failure(error, { command: 'login' })}`);
      return 1;
    }
    if (error instanceof LoginError) {
      io.error(`oauth2 login failed: ${error.message}`);
      io.error(`What to do: ${error.advice}`);
      return 1;
    }
    throw error;
  }
  if (response.refreshToken === undefined) {
    io.error(
      settings.provider === 'microsoft'
        ? 'oauth2 login failed: the endpoint issued no refresh token. Include offline_access in SMART_HOST_OAUTH2_SCOPE.'
        : "oauth2 login failed: the endpoint issued no refresh token. Remove the app's access in the Google account settings and sign in again.",
    );
    return 1;
  }
  if (options.output === undefined) {
    io.error('Signed in. The refresh token follows on standard output.');
    io.print(response.refreshToken);
  } else {
    try {
      await writeSecretFile(options.output, response.refreshToken);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      io.error(
        `oauth2 login: signed in, but ${JSON.stringify(options.output)} cannot be written (${code}).`,
      );
      return 1;
    }
    io.error(`Signed in. The refresh token is in ${options.output} (mode 0600).`);
  }
  io.error(
    'Put it in SMART_HOST_OAUTH2_REFRESH_TOKEN_FILE (the path of a file holding it, e.g. a Docker secret), keep the other SMART_HOST_OAUTH2_* settings, and check with "npx smtp-relay oauth2 check".',
  );
  return 0;
}

interface ParsedOptions {
  readonly deviceCodeUrl: string;
  readonly authorizationUrl: string;
  readonly timeoutMs: number;
}

/** The endpoints and timeout, or a usage error to print. */
function parseOptions(
  options: OAuth2LoginOptions,
  settings: LoginSettings,
): ParsedOptions | string {
  let timeoutMs = DEFAULT_TIMEOUT_MS;
  if (options.timeout !== undefined) {
    try {
      timeoutMs = parseDuration(options.timeout);
    } catch (error) {
      if (!(error instanceof InvalidValueError)) throw error;
      return `--timeout ${error.message}`;
    }
    if (timeoutMs === 0) return '--timeout must be more than 0 (e.g. 10m)';
  }
  // Microsoft's endpoints are siblings: .../oauth2/v2.0/token and .../oauth2/v2.0/devicecode.
  const derivedDeviceCodeUrl = settings.tokenUrl.replace(/\/token(?=$|[?#])/, '/devicecode');
  if (
    settings.provider === 'microsoft' &&
    options.deviceCodeUrl === undefined &&
    derivedDeviceCodeUrl === settings.tokenUrl
  ) {
    return `--device-code-url is needed: SMART_HOST_OAUTH2_TOKEN_URL (${settings.tokenUrl}) does not end in /token`;
  }
  const urls = {
    '--device-code-url': options.deviceCodeUrl ?? derivedDeviceCodeUrl,
    '--authorization-url': options.authorizationUrl ?? GOOGLE_AUTHORIZATION_URL,
  };
  for (const [flag, text] of Object.entries(urls)) {
    if (!URL.canParse(text)) return `${flag} must be a URL, got ${JSON.stringify(text)}`;
    if (!isSafeEndpoint(new URL(text))) {
      return `${flag} must start with https:// (http:// only on a loopback address)`;
    }
  }
  return {
    deviceCodeUrl: urls['--device-code-url'],
    authorizationUrl: urls['--authorization-url'],
    timeoutMs,
  };
}

/** As SMART_HOST_OAUTH2_TOKEN_URL: client ids and secrets never cross a network in clear. */
function isSafeEndpoint(url: URL): boolean {
  if (url.protocol === 'https:') return true;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return (
    url.protocol === 'http:' && (host === 'localhost' || host === '::1' || /^127\./.test(host))
  );
}

function signIn(settings: LoginSettings, options: ParsedOptions, io: CommandIo) {
  const callEndpoint = createTokenEndpointCall({
    extraCa: settings.extraCa,
    timeoutMs: ENDPOINT_TIMEOUT_MS,
  });
  const common = {
    tokenUrl: settings.tokenUrl,
    clientId: settings.clientId,
    clientSecret: settings.clientSecret,
    scope: settings.scope,
    callEndpoint,
    tell: (text: string) => {
      io.error(text);
    },
  };
  switch (settings.provider) {
    case 'microsoft':
      return runDeviceCodeFlow({ ...common, deviceCodeUrl: options.deviceCodeUrl });
    case 'google':
      return runAuthorizationCodeFlow({
        ...common,
        authorizationUrl: options.authorizationUrl,
        loginHint: settings.mailbox,
        timeoutMs: options.timeoutMs,
      });
  }
}

/** Readable by its owner only, also when it already existed with a wider mode. */
async function writeSecretFile(path: string, secret: string): Promise<void> {
  const file = await open(path, 'w', 0o600);
  try {
    await file.chmod(0o600);
    // One final newline, which the config's *_FILE reading strips again.
    await file.writeFile(`${secret}\n`);
  } finally {
    await file.close();
  }
}
