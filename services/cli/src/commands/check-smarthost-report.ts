import type {
  DiagnosticStep,
  RouteCheckReport,
  SmartHostCheckReport,
} from '@smtp-relay/smart-host';

// check-smarthost's text: one line per step, `ok   tls       TLSv1.3 (...), certificate
// CN=... (verified)`, with the cause and the variable under a failure; with several hosts
// (or --route) one block per host, headed `host 2 of 2: backup.example:465`; last a verdict.

const STATUS = { pass: 'ok  ', warn: 'warn', fail: 'FAIL' } as const;
const STEP_WIDTH = 9;
const INDENT = ' '.repeat(4 + 1 + STEP_WIDTH + 1);

/** One host, no --route: the output before failover and routes, unchanged. */
export function formatHostReport(report: SmartHostCheckReport): string {
  const target = report.smartHost ?? 'the smart host';
  const verdict = report.ok
    ? `check-smarthost: ${target} works${warningCount(report.steps)}`
    : `check-smarthost: FAILED for ${target}: fix the step marked FAIL and run it again`;
  return [...report.steps.flatMap(formatStep), '', verdict].join('\n');
}

export function formatRouteReport(report: RouteCheckReport): string {
  const { hosts } = report;
  const count = String(hosts.length);
  const ordinal = (index: number): string => `host ${String(index + 1)} of ${count}`;
  // Without a host: the configuration did not load.
  const blocks = hosts.flatMap((host, index) => [
    ...(host.smartHost === undefined ? [] : [`${ordinal(index)}: ${host.smartHost}`]),
    ...host.steps.flatMap(formatStep),
    '',
  ]);
  const failedHosts = hosts.flatMap((host, index) => {
    if (host.ok) return [];
    return [
      host.smartHost === undefined ? 'the configuration' : `${ordinal(index)} (${host.smartHost})`,
    ];
  });
  const route = `route ${report.route}`;
  const verdict = report.ok
    ? `check-smarthost: ${route}: ${hosts.length === 1 ? `${hosts[0]?.smartHost ?? 'the smart host'} works` : `all ${count} hosts work`}${warningCount(hosts.flatMap((host) => host.steps))}`
    : `check-smarthost: FAILED for ${route}: ${failedHosts.join(', ')}: fix the steps marked FAIL and run it again`;
  return [...blocks, verdict].join('\n');
}

function warningCount(steps: readonly DiagnosticStep[]): string {
  const warnings = steps.filter((step) => step.ok === 'warn').length;
  return warnings === 0 ? '' : ` (${String(warnings)} warning${warnings === 1 ? '' : 's'})`;
}

function formatStep(step: DiagnosticStep): string[] {
  const status = step.ok === true ? STATUS.pass : step.ok === 'warn' ? STATUS.warn : STATUS.fail;
  const lines = [`${status} ${step.step.padEnd(STEP_WIDTH)} ${step.detail}`];
  if (step.cause !== undefined) lines.push(`${INDENT}cause: ${step.cause}`);
  if (step.variable !== undefined) lines.push(`${INDENT}change: ${step.variable}`);
  return lines;
}
