import type { Environment } from '@smtp-relay/config';
import {
  checkSmartHost,
  type DiagnosticStep,
  type SmartHostCheckReport,
} from '@smtp-relay/smart-host';
import type { CommandIo } from '../command-io.ts';
import { openTokenSource } from '../oauth2-token-source.ts';

// `npx smtp-relay check-smarthost`: the probing is in @smtp-relay/smart-host
// (diagnostics/); this file only turns its report into lines or JSON.

export const CHECK_SMARTHOST_USAGE = `Usage: smtp-relay check-smarthost [--json] [--send-to ADDRESS]

Checks the way to the smart host as the sender goes it, with the sender's
configuration from the environment: the settings, DNS, the TCP connection,
TLS (version, certificate subject, issuer, expiry, verification), the EHLO
capabilities, AUTH mechanisms offered versus SMART_HOST_AUTH_METHODS and a
login with SMART_HOST_PASSWORD or an OAuth2 token. A failing step names the
likely cause and the variable to change. Exits 1 when a step fails (warnings
do not), 0 otherwise.

Options:
  --send-to <address>   also send a test message to this address (from
                        POSTMASTER) and print the smart host's reply
  --json                one JSON object: { "ok", "smartHost", "steps": [...] }`;

export interface CheckSmartHostOptions {
  readonly json: boolean;
  readonly sendTo: string | undefined;
}

export async function runCheckSmartHost(
  options: CheckSmartHostOptions,
  env: Environment,
  io: CommandIo,
): Promise<number> {
  if (options.sendTo === '') {
    io.error(CHECK_SMARTHOST_USAGE);
    return 2;
  }
  const report = await checkSmartHost({
    env,
    sendTo: options.sendTo,
    openOAuth2Tokens: openTokenSource,
  });
  io.print(options.json ? JSON.stringify(report, null, 2) : formatCheckReport(report));
  return report.ok ? 0 : 1;
}

const STATUS = { pass: 'ok  ', warn: 'warn', fail: 'FAIL' } as const;
const STEP_WIDTH = 9;
const INDENT = ' '.repeat(4 + 1 + STEP_WIDTH + 1);

/** One line per step: `ok   tls       TLSv1.3 (...), certificate CN=... (verified)`, then cause and variable. */
function formatCheckReport(report: SmartHostCheckReport): string {
  const lines = report.steps.flatMap(formatStep);
  const warnings = report.steps.filter((step) => step.ok === 'warn').length;
  const target = report.smartHost === undefined ? 'the smart host' : report.smartHost;
  const verdict = report.ok
    ? `check-smarthost: ${target} works${warnings > 0 ? ` (${String(warnings)} warning${warnings === 1 ? '' : 's'})` : ''}`
    : `check-smarthost: FAILED for ${target}: fix the step marked FAIL and run it again`;
  return [...lines, '', verdict].join('\n');
}

function formatStep(step: DiagnosticStep): string[] {
  const status = step.ok === true ? STATUS.pass : step.ok === 'warn' ? STATUS.warn : STATUS.fail;
  const lines = [`${status} ${step.step.padEnd(STEP_WIDTH)} ${step.detail}`];
  if (step.cause !== undefined) lines.push(`${INDENT}cause: ${step.cause}`);
  if (step.variable !== undefined) lines.push(`${INDENT}change: ${step.variable}`);
  return lines;
}
