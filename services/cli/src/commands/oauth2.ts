import type { Environment } from '@smtp-relay/config';
import type { CommandIo } from '../command-io.ts';
import { runOAuth2Check } from './oauth2-check.ts';
import { runOAuth2Login, type OAuth2LoginOptions } from './oauth2-login.ts';

export const OAUTH2_USAGE = `Usage: smtp-relay oauth2 <login|check> [options]

OAuth2 (AUTH XOAUTH2) to the smart host, read from the SMART_HOST_OAUTH2_*
variables (SMART_HOST_PROVIDER=m365 or gmail picks the provider).

  login     Sign in once, interactively, and print the refresh token the senders
            use (put it in SMART_HOST_OAUTH2_REFRESH_TOKEN_FILE). Microsoft: a code
            to enter at a web page on any device (device code flow). Google: an
            address to open in a browser on this machine (loopback redirect).
            Needs SMART_HOST_OAUTH2_CLIENT_ID (and _CLIENT_SECRET for confidential
            clients); SMART_HOST_OAUTH2_TENANT, _SCOPE, _TOKEN_URL and
            SMART_HOST_CA_FILE are used when set. Instructions go to stderr, the
            token alone to stdout.
    --output <file>            write the token to <file> (mode 0600) instead
    --device-code-url <url>    Microsoft: device code endpoint (default: the
                               token URL ending in /devicecode)
    --authorization-url <url>  Google: authorization endpoint (default:
                               https://accounts.google.com/o/oauth2/v2/auth)
    --timeout <duration>       Google: wait this long for the browser (default 5m)

  check     Get an access token with the configured grant, as the senders do,
            and print its scope and expiry, never the token. Uses and updates
            the senders' shared token state in Redis when it answers. Exits 1
            with the endpoint's error and what to do when no token is issued.
    --json                     print one JSON object instead`;

export interface OAuth2Options extends OAuth2LoginOptions {
  readonly json: boolean;
}

export async function runOAuth2(
  positionals: readonly string[],
  options: OAuth2Options,
  env: Environment,
  io: CommandIo,
): Promise<number> {
  switch (positionals[0]) {
    case 'login':
      return runOAuth2Login(options, env, io);
    case 'check':
      return runOAuth2Check({ json: options.json }, env, io);
    case undefined:
    default:
      io.error(OAUTH2_USAGE);
      return 2;
  }
}
