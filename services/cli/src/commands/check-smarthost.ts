import type { Environment } from '@smtp-relay/config';
import { checkSmartHostRoute, UnknownRouteError } from '@smtp-relay/smart-host';
import type { CommandIo } from '../command-io.ts';
import { openTokenSource } from '../oauth2-token-source.ts';
import { formatHostReport, formatRouteReport } from './check-smarthost-report.ts';

// `npx smtp-relay check-smarthost`: the probing is in @smtp-relay/smart-host
// (diagnostics/); this file only picks the output (check-smarthost-report.ts).

export const CHECK_SMARTHOST_USAGE = `Usage: smtp-relay check-smarthost [--json] [--send-to ADDRESS] [--route NAME]

Checks the way to the smart host as the sender goes it, with the sender's
configuration from the environment: the settings, DNS, the TCP connection,
TLS (version, certificate subject, issuer, expiry, verification), the EHLO
capabilities, AUTH mechanisms offered versus SMART_HOST_AUTH_METHODS and a
login with SMART_HOST_PASSWORD or an OAuth2 token. Every host of a
SMART_HOST list is checked, in order, each with its own port and TLS mode. A
failing step names the likely cause and the variable to change. Exits 1 when
a step of any host fails (warnings do not), 0 otherwise.

Options:
  --send-to <address>   also send a test message to this address (from
                        POSTMASTER) through each host and print the reply
  --route <name>        check this route of SMART_HOST_ROUTES_FILE (its hosts
                        and credentials) instead of "default" (SMART_HOST_*)
  --json                one JSON object: { "ok", "smartHost", "steps": [...] };
                        with several hosts or --route:
                        { "ok", "route", "hosts": [{ "ok", "smartHost",
                        "steps": [...] }, ...] }`;

export interface CheckSmartHostOptions {
  readonly json: boolean;
  readonly sendTo: string | undefined;
  /** undefined: the default route, printed as before routes when it has one host. */
  readonly route?: string | undefined;
}

export async function runCheckSmartHost(
  options: CheckSmartHostOptions,
  env: Environment,
  io: CommandIo,
): Promise<number> {
  if (options.sendTo === '' || options.route === '') {
    io.error(CHECK_SMARTHOST_USAGE);
    return 2;
  }
  let report;
  try {
    report = await checkSmartHostRoute({
      env,
      route: options.route,
      sendTo: options.sendTo,
      openOAuth2Tokens: openTokenSource,
    });
  } catch (error) {
    if (!(error instanceof UnknownRouteError)) throw error;
    io.error(`check-smarthost: ${error.message}.\n\n${CHECK_SMARTHOST_USAGE}`);
    return 2;
  }
  const [only] = report.hosts;
  if (options.route === undefined && report.hosts.length === 1 && only !== undefined) {
    io.print(options.json ? JSON.stringify(only, null, 2) : formatHostReport(only));
  } else {
    io.print(options.json ? JSON.stringify(report, null, 2) : formatRouteReport(report));
  }
  return report.ok ? 0 : 1;
}
