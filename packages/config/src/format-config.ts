import { formatDuration } from './duration.ts';
import { REDACTED, redactSecrets, redactUrlCredentials } from './redact.ts';
import { formatSendingRate } from './sending-rate.ts';
import { formatSize } from './size.ts';
import { formatHostAndPort } from './smart-host-list.ts';
import { isIngressConfig, isSenderConfig } from './config-guards.ts';
import type {
  CommonConfig,
  IngressConfig,
  OAuth2Grant,
  SenderConfig,
  SendingRate,
} from './types.ts';
import { VARIABLES, type VariableNameIn } from './variables.ts';

const UNSET = '<unset>';

type Shown = string | undefined;

// One reader per variable, checked complete by the Record types: a variable added to the
// table without a line here is a type error.
const COMMON_VALUES: Record<VariableNameIn<'common'>, (config: CommonConfig) => Shown> = {
  REDIS_URL: (c) => redactUrlCredentials(c.redisUrl),
  REDIS_PASSWORD: (c) => c.redisPassword,
  REDIS_CA_FILE: (c) => c.redis.caFile,
  REDIS_SENTINELS: (c) =>
    c.redis.sentinels?.map(({ host, port }) => formatHostAndPort(host, port)).join(','),
  REDIS_SENTINEL_MASTER: (c) => c.redis.sentinelMaster,
  REDIS_SENTINEL_PASSWORD: (c) => c.redis.sentinelPassword,
  QUEUE_PREFIX: (c) => c.queuePrefix,
  LOG_LEVEL: (c) => c.logLevel,
  ADMIN_HOST: (c) => c.adminHost,
  ADMIN_PORT: (c) => String(c.adminPort),
  ADMIN_TOKEN: (c) => c.adminToken,
  SMTP_HOSTNAME: (c) => c.smtpHostname,
  TRANSCRIPT_RETENTION: (c) => formatDuration(c.transcriptRetentionMs),
  HISTORY_RETENTION: (c) => formatDuration(c.historyRetentionMs),
  HISTORY_MAX_MESSAGES: (c) => String(c.historyMaxMessages),
};

const INGRESS_VALUES: Record<VariableNameIn<'ingress'>, (config: IngressConfig) => Shown> = {
  SMTP_HOST: (c) => c.smtpHost,
  SMTP_PORT: (c) => String(c.smtpPort),
  SMTPS_PORT: (c) => optionalNumber(c.smtpsPort),
  TLS_CERT_FILE: (c) => c.tls?.certFile,
  TLS_KEY_FILE: (c) => c.tls?.keyFile,
  SMTP_AUTH_FILE: (c) => c.authFile,
  SMTP_SENDERS_FILE: (c) => c.sendersFile,
  SMTP_ALLOW_INSECURE_AUTH: (c) => String(c.allowInsecureAuth),
  SMTP_RELAY_NETWORKS: (c) => list(c.relayNetworks),
  SMTP_PUBLISHED_ON: (c) => c.smtpPublishedOn,
  SMTP_MAX_MESSAGE_SIZE: (c) => formatSize(c.maxMessageSize),
  SMTP_MAX_RECIPIENTS: (c) => String(c.maxRecipients),
  SMTP_MAX_CLIENTS: (c) => String(c.maxClients),
  SMTP_SOCKET_TIMEOUT: (c) => formatDuration(c.socketTimeoutMs),
  REDIS_WAIT_REPLICAS: (c) => String(c.redisWaitReplicas),
  SMTP_FILTER_FILE: (c) => c.filterFile,
  SMTP_FILTER_BLOCK_TIME: (c) => formatDuration(c.filterBlockTimeMs),
  SMTP_AUTH_MAX_FAILURES: (c) => String(c.authMaxFailures),
  SMTP_AUTH_FAILURE_WINDOW: (c) => formatDuration(c.authFailureWindowMs),
  SMTP_AUTH_BLOCK_TIME: (c) => formatDuration(c.authBlockTimeMs),
  SMTP_MAX_CLIENTS_PER_IP: (c) => String(c.maxClientsPerIp),
  SMTP_GREETING_DELAY: (c) => formatDuration(c.greetingDelayMs),
  SMTP_TLS_MIN_VERSION: (c) => c.tlsMinVersion,
  SMTP_PROXY_PROTOCOL: (c) => String(c.proxyProtocol),
  SMTP_PROXY_TRUSTED: (c) => list(c.proxyTrusted),
  SMTP_TRANSCRIPT_DIR: (c) => c.transcriptDir,
};

const SENDER_VALUES: Record<VariableNameIn<'sender'>, (config: SenderConfig) => Shown> = {
  // One host alone as before; several with their ports, as SMART_HOST lists them.
  SMART_HOST: (c) =>
    c.smartHost.hosts.length === 1
      ? c.smartHost.host
      : c.smartHost.hosts.map(({ host, port }) => formatHostAndPort(host, port)).join(','),
  SMART_HOST_PORT: (c) => String(c.smartHost.port),
  SMART_HOST_TLS: (c) => c.smartHost.tls,
  SMART_HOST_USER: (c) => c.smartHost.user,
  SMART_HOST_PASSWORD: (c) => c.smartHost.password,
  SMART_HOST_AUTH_METHODS: (c) => list(c.smartHost.authMethods ?? []),
  SMART_HOST_CA_FILE: (c) => c.smartHost.caFile,
  SMART_HOST_TLS_VERIFY: (c) => String(c.smartHost.tlsVerify),
  HELO_NAME: (c) => c.heloName,
  SENDER_CONCURRENCY: (c) => String(c.concurrency),
  SMTP_CLIENT_TIMEOUT: (c) => formatDuration(c.clientTimeoutMs),
  RETRY_DELAYS: (c) => c.retryDelaysMs.map(formatDuration).join(','),
  MAX_QUEUE_LIFETIME: (c) => formatDuration(c.maxQueueLifetimeMs),
  FAILED_RETENTION: (c) => formatDuration(c.failedRetentionMs),
  POSTMASTER: (c) => c.postmaster,
  BOUNCE_TEMPLATE_FILE: (c) => c.bounceTemplateFile,
  REWRITE_FROM: (c) => c.rewriteFrom,
  DKIM_KEYS_DIR: (c) => c.dkimKeysDir,
  SMART_HOST_TRANSCRIPT_DIR: (c) => c.smartHostTranscriptDir,
  SMART_HOST_OAUTH2_PROVIDER: (c) => c.smartHost.oauth2?.provider,
  SMART_HOST_OAUTH2_TENANT: (c) => c.smartHost.oauth2?.tenant,
  SMART_HOST_OAUTH2_TOKEN_URL: (c) => c.smartHost.oauth2?.tokenUrl,
  SMART_HOST_OAUTH2_CLIENT_ID: (c) => c.smartHost.oauth2?.clientId,
  SMART_HOST_OAUTH2_CLIENT_SECRET: (c) =>
    grantOf(c, 'client-credentials')?.clientSecret ?? grantOf(c, 'refresh-token')?.clientSecret,
  SMART_HOST_OAUTH2_REFRESH_TOKEN: (c) => grantOf(c, 'refresh-token')?.refreshToken,
  SMART_HOST_OAUTH2_SERVICE_ACCOUNT_FILE: (c) => grantOf(c, 'service-account')?.keyFile,
  SMART_HOST_OAUTH2_SCOPE: (c) => c.smartHost.oauth2?.scope,
  SMART_HOST_PROVIDER: (c) => c.smartHost.provider,
  SMART_HOST_REGION: (c) => c.smartHost.region,
  DEMO_SMART_HOST: (c) =>
    c.smartHost.demo ? `${c.smartHost.host}:${String(c.smartHost.port)}` : undefined,
  SMART_HOST_POP3_HOST: (c) => c.pop3?.host,
  SMART_HOST_POP3_PORT: (c) => optionalNumber(c.pop3?.port),
  SMART_HOST_POP3_TLS: (c) => c.pop3?.tls,
  SMART_HOST_POP3_INTERVAL: (c) =>
    c.pop3 === undefined ? undefined : formatDuration(c.pop3.intervalMs),
  SMART_HOST_COOLDOWN: (c) => formatDuration(c.smartHost.cooldownMs),
  SMART_HOST_RATE: (c) => optionalRate(c.smartHost.rate),
  SMART_HOST_RECIPIENT_RATE: (c) => optionalRate(c.smartHost.recipientRate),
  SMART_HOST_ROUTES_FILE: (c) => c.routesFile,
};

function optionalRate(rate: SendingRate | undefined): Shown {
  return rate === undefined ? undefined : formatSendingRate(rate);
}

function grantOf<K extends OAuth2Grant['kind']>(
  config: SenderConfig,
  kind: K,
): Extract<OAuth2Grant, { kind: K }> | undefined {
  const grant = config.smartHost.oauth2?.grant;
  return grant?.kind === kind ? (grant as Extract<OAuth2Grant, { kind: K }>) : undefined;
}

function optionalNumber(value: number | undefined): Shown {
  return value === undefined ? undefined : String(value);
}

function list(values: readonly string[]): Shown {
  return values.length === 0 ? undefined : values.join(',');
}

function readValues<C>(readers: Record<string, (config: C) => Shown>, config: C) {
  return Object.entries(readers).map(([name, read]) => [name, read(config)] as const);
}

/**
 * The effective configuration as `NAME=value` lines in the order of the variable table, for
 * `npx smtp-relay config`: durations and sizes in their shortest exact unit (`1h`, `25m`),
 * secrets as `<redacted>`, unset optional values as `<unset>`. The service is read from
 * the config's shape: an all-in-one config prints both sections.
 */
export function formatConfig(config: IngressConfig | SenderConfig): string {
  const values = new Map<string, Shown>(readValues(COMMON_VALUES, config));
  const sections = [
    ...(isIngressConfig(config) ? readValues(INGRESS_VALUES, config) : []),
    ...(isSenderConfig(config) ? readValues(SENDER_VALUES, config) : []),
  ];
  for (const [name, value] of sections) values.set(name, value);
  return VARIABLES.filter(({ name }) => values.has(name))
    .map(({ name, secret }) => {
      const value = values.get(name);
      const shown = value === undefined ? UNSET : secret ? REDACTED : value;
      return `${name}=${shown}`;
    })
    .join('\n');
}

/**
 * `npx smtp-relay config --json`: the effective configuration as one JSON object in the
 * config's own camelCase shape, secrets redacted, unset values as null (docs/reference.md "Provider presets": the smart
 * host under `smartHost` with `host`, `port`, `tls`, `provider`, `authMethods`; "Failover,
 * routes and rate limits": its `hosts`, `cooldownMs`, `rate`, `recipientRate`, and `routes`
 * with each route's smart host redacted the same way).
 */
export function formatConfigJson(config: IngressConfig | SenderConfig): string {
  return JSON.stringify(
    redactSecrets(config),
    (_key, value: unknown) => (value === undefined ? null : value),
    2,
  );
}
