import type { Environment } from './environment.ts';
import { FILE_SUFFIX } from './secret-names.ts';
import { isIngressConfig, isSenderConfig } from './config-guards.ts';
import type { Problem } from './errors.ts';
import { inRouteWords, keyOf } from './routes/route-keys.ts';
import { formatHostAndPort, parseSmartHostList } from './smart-host-list.ts';
import type { IngressConfig, SenderConfig, SmartHostConfig } from './types.ts';
import { PROVIDER_PRESETS } from './provider-presets.ts';
import { relayTrustWarnings } from './trust-rules.ts';
import { VARIABLES } from './variables.ts';

const KNOWN_NAMES: ReadonlySet<string> = new Set(
  VARIABLES.flatMap(({ name, secret }) => (secret ? [name, `${name}${FILE_SUFFIX}`] : [name])),
);

// Kubernetes service links (`REDIS_SERVICE_HOST`, `SMTP_PORT_2525_TCP_ADDR`): not typos.
const SERVICE_LINK = /_SERVICE_(?:HOST|PORT)|_PORT_\d+_(?:TCP|UDP|SCTP)/;
const MAX_TYPO_DISTANCE = 2;
const MIN_TYPO_LENGTH = 6;

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function closestKnownName(name: string): string | undefined {
  let closest: { name: string; distance: number } | undefined;
  for (const known of KNOWN_NAMES) {
    const distance = editDistance(name, known);
    if (distance <= MAX_TYPO_DISTANCE && distance < (closest?.distance ?? Infinity)) {
      closest = { name: known, distance };
    }
  }
  return closest?.name;
}

/** Unknown variables within two edits of one of ours: `SMTP_MAX_MESSAGE_SIZ` is ignored, say so. */
function findMisspelledVariables(env: Environment): string[] {
  const warnings: string[] = [];
  for (const name of Object.keys(env)) {
    if (KNOWN_NAMES.has(name) || name.length < MIN_TYPO_LENGTH || SERVICE_LINK.test(name)) continue;
    const match = closestKnownName(name.toUpperCase());
    if (match !== undefined) {
      warnings.push(`${name}: unknown variable, ignored; did you mean ${match}?`);
    }
  }
  return warnings;
}

function ingressWarnings(config: IngressConfig): string[] {
  const warnings: string[] = relayTrustWarnings(config);
  if (config.authFile === undefined && config.relayNetworks.length === 0) {
    warnings.push(
      'SMTP_RELAY_NETWORKS: empty and SMTP_AUTH_FILE is unset, so no client can relay; set one of them',
    );
  }
  if (config.authFile !== undefined && config.tls === undefined && !config.allowInsecureAuth) {
    warnings.push(
      'SMTP_AUTH_FILE: AUTH is offered only over TLS and no TLS_CERT_FILE is set, so no client can authenticate; ' +
        'configure TLS or set SMTP_ALLOW_INSECURE_AUTH=true',
    );
  }
  return warnings;
}

/**
 * Smart hosts with Postfix's reject_non_fqdn_helo_hostname refuse `EHLO vm`: a bare
 * machine name is what HELO_NAME falls back to when SMTP_HOSTNAME is not set.
 */
function heloNameWarning(heloName: string, env: Environment): string | undefined {
  if (heloName.includes('.') || heloName.startsWith('[')) return undefined;
  const variable =
    env['HELO_NAME'] !== undefined && env['HELO_NAME'] !== '' ? 'HELO_NAME' : 'SMTP_HOSTNAME';
  return (
    `${variable}: the relay announces itself as "${heloName}", not a fully qualified domain name; ` +
    "smart hosts that check HELO names (Postfix reject_non_fqdn_helo_hostname) refuse it: set HELO_NAME or SMTP_HOSTNAME to this relay's DNS name"
  );
}

/** What one smart host's settings probably do not mean; named by variable (routes rename them). */
function smartHostWarnings(smartHost: SmartHostConfig): Problem[] {
  const warnings: Problem[] = [];
  const add = (variable: string, message: string) => warnings.push({ variable, message });
  if (smartHost.provider === 'm365' && smartHost.password !== undefined) {
    add(
      'SMART_HOST_PASSWORD',
      'Microsoft 365 turns basic SMTP AUTH off by default from the end of December 2026; ' +
        'configure OAuth2 (SMART_HOST_OAUTH2_CLIENT_ID, see the README recipe)',
    );
  }
  const presetHost =
    smartHost.provider === undefined
      ? undefined
      : PROVIDER_PRESETS[smartHost.provider].host(smartHost.region);
  if (presetHost !== undefined && presetHost !== smartHost.host) {
    add(
      'SMART_HOST',
      `${smartHost.host} is used, not ${presetHost} of SMART_HOST_PROVIDER=${smartHost.provider ?? ''} (an explicit SMART_HOST wins)`,
    );
  }
  // A TLS mode that does not match the port shows up only as a timeout at the first delivery.
  const several = smartHost.hosts.length > 1;
  for (const { host, port, tls } of smartHost.hosts) {
    const where = several ? formatHostAndPort(host, port) : `port ${String(port)}`;
    if (port === 465 && tls === 'starttls') {
      add('SMART_HOST_TLS', `starttls on ${where}, which normally speaks implicit TLS`);
    }
    if ((port === 587 || port === 25) && tls === 'implicit') {
      add('SMART_HOST_TLS', `implicit on ${where}, which normally uses STARTTLS`);
    }
  }
  if (smartHost.hosts.some(({ tls }) => tls === 'none') && smartHost.password !== undefined) {
    add('SMART_HOST_TLS', 'none, so SMART_HOST_PASSWORD is sent unencrypted');
  }
  if (smartHost.hosts.some(({ tls }) => tls !== 'none') && !smartHost.tlsVerify) {
    add('SMART_HOST_TLS_VERIFY', "false, so the smart host's certificate is not checked");
  }
  return warnings;
}

/** SMART_HOST_PORT set, but every SMART_HOST entry names its own port. */
function unusedPortWarning(env: Environment): string | undefined {
  if (!env['SMART_HOST_PORT']?.trim()) return undefined;
  try {
    const entries = parseSmartHostList(env['SMART_HOST'] ?? '');
    return entries.every(({ port }) => port !== undefined)
      ? 'SMART_HOST_PORT: has no effect: every SMART_HOST entry has its own port'
      : undefined;
  } catch {
    return undefined; // SMART_HOST unset (a preset's host) or invalid (not loaded)
  }
}

function routeWarnings(config: SenderConfig): string[] {
  return config.routes.flatMap((route, index) =>
    smartHostWarnings(route.smartHost)
      // Taken from SMART_HOST_TLS_VERIFY: its own warning says it once.
      .filter(({ variable }) => variable !== 'SMART_HOST_TLS_VERIFY' || config.smartHost.tlsVerify)
      .map(
        ({ variable, message }) =>
          `SMART_HOST_ROUTES_FILE: routes[${String(index)}].${keyOf(variable)}: ${inRouteWords(message)}`,
      ),
  );
}

function senderWarnings(config: SenderConfig, env: Environment): string[] {
  const { smartHost } = config;
  const warnings: string[] = [];
  const helo = heloNameWarning(config.heloName, env);
  if (helo !== undefined) warnings.push(helo);
  if (smartHost.demo) {
    warnings.push(
      `DEMO_SMART_HOST: neither SMART_HOST nor SMART_HOST_PROVIDER is set, so mail goes to the demo capture smart host ${smartHost.host}:${String(smartHost.port)} and is never delivered`,
    );
  }
  if (
    env['SMART_HOST_OAUTH2_SERVICE_ACCOUNT_FILE'] &&
    smartHost.oauth2?.grant.kind === 'refresh-token'
  ) {
    warnings.push(
      'SMART_HOST_OAUTH2_SERVICE_ACCOUNT_FILE: ignored, SMART_HOST_OAUTH2_REFRESH_TOKEN is set and takes precedence',
    );
  }
  const unusedPort = unusedPortWarning(env);
  if (unusedPort !== undefined) warnings.push(unusedPort);
  warnings.push(
    ...smartHostWarnings(smartHost).map(({ variable, message }) => `${variable}: ${message}`),
    ...routeWarnings(config),
  );
  return warnings;
}

/**
 * Legal but probably unintended settings, for the service to log at start-up (a config
 * that loads is never refused for these).
 */
export function findConfigWarnings(
  env: Environment,
  config: IngressConfig | SenderConfig,
): string[] {
  return [
    ...findMisspelledVariables(env),
    ...(isIngressConfig(config) ? ingressWarnings(config) : []),
    ...(isSenderConfig(config) ? senderWarnings(config, env) : []),
  ];
}
