import { toPop3Config, toSmartHostConfig } from './build-smart-host.ts';
import { redisUrlWithPassword } from './redis-values.ts';
import { effectiveRelayNetworks } from './relay-trust.ts';
import type { AllInOneFields, CommonFields, IngressFields, SenderFields } from './schemas.ts';
import type {
  AllInOneConfig,
  CommonConfig,
  IngressConfig,
  RouteConfig,
  SenderConfig,
} from './types.ts';

// Validated variables (SCREAMING_CASE) → the typed shapes of types.ts, filling in the
// defaults that depend on other variables.

function toCommonConfig(fields: CommonFields): CommonConfig {
  const redisUrl = redisUrlWithPassword(fields.REDIS_URL, fields.REDIS_PASSWORD);
  return {
    redisUrl,
    redisPassword: fields.REDIS_PASSWORD,
    redis: {
      url: redisUrl,
      sentinels: fields.REDIS_SENTINELS,
      sentinelMaster: fields.REDIS_SENTINEL_MASTER,
      sentinelPassword: fields.REDIS_SENTINEL_PASSWORD,
      caFile: fields.REDIS_CA_FILE,
    },
    queuePrefix: fields.QUEUE_PREFIX,
    logLevel: fields.LOG_LEVEL,
    adminHost: fields.ADMIN_HOST,
    adminPort: fields.ADMIN_PORT,
    adminToken: fields.ADMIN_TOKEN,
    smtpHostname: fields.SMTP_HOSTNAME,
    transcriptRetentionMs: fields.TRANSCRIPT_RETENTION,
    historyRetentionMs: fields.HISTORY_RETENTION,
    historyMaxMessages: fields.HISTORY_MAX_MESSAGES,
  };
}

export function toIngressConfig(fields: IngressFields): IngressConfig {
  const { TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile } = fields;
  return {
    ...toCommonConfig(fields),
    smtpHost: fields.SMTP_HOST,
    smtpPort: fields.SMTP_PORT,
    smtpsPort: fields.SMTPS_PORT,
    tls: certFile !== undefined && keyFile !== undefined ? { certFile, keyFile } : undefined,
    authFile: fields.SMTP_AUTH_FILE,
    sendersFile: fields.SMTP_SENDERS_FILE,
    allowInsecureAuth: fields.SMTP_ALLOW_INSECURE_AUTH,
    relayNetworks: effectiveRelayNetworks(
      fields.SMTP_RELAY_NETWORKS,
      fields.SMTP_PUBLISHED_ON,
      fields.SMTPS_PORT,
    ),
    containerBridges: fields.SMTP_RELAY_NETWORKS.containerBridges,
    smtpPublishedOn: fields.SMTP_PUBLISHED_ON,
    maxMessageSize: fields.SMTP_MAX_MESSAGE_SIZE,
    maxRecipients: fields.SMTP_MAX_RECIPIENTS,
    maxClients: fields.SMTP_MAX_CLIENTS,
    socketTimeoutMs: fields.SMTP_SOCKET_TIMEOUT,
    redisWaitReplicas: fields.REDIS_WAIT_REPLICAS,
    filterFile: fields.SMTP_FILTER_FILE,
    filterBlockTimeMs: fields.SMTP_FILTER_BLOCK_TIME,
    authMaxFailures: fields.SMTP_AUTH_MAX_FAILURES,
    authFailureWindowMs: fields.SMTP_AUTH_FAILURE_WINDOW,
    authBlockTimeMs: fields.SMTP_AUTH_BLOCK_TIME,
    maxClientsPerIp: fields.SMTP_MAX_CLIENTS_PER_IP,
    greetingDelayMs: fields.SMTP_GREETING_DELAY,
    tlsMinVersion: fields.SMTP_TLS_MIN_VERSION,
    proxyProtocol: fields.SMTP_PROXY_PROTOCOL,
    proxyTrusted: fields.SMTP_PROXY_TRUSTED,
    transcriptDir: fields.SMTP_TRANSCRIPT_DIR,
  };
}

/** `routes`: SMART_HOST_ROUTES_FILE's, already built (routes/read-routes.ts). */
export function toSenderConfig(fields: SenderFields, routes: readonly RouteConfig[]): SenderConfig {
  return {
    ...toCommonConfig(fields),
    smartHost: toSmartHostConfig(fields),
    routesFile: fields.SMART_HOST_ROUTES_FILE,
    routes,
    pop3: toPop3Config(fields),
    heloName: fields.HELO_NAME ?? fields.SMTP_HOSTNAME,
    concurrency: fields.SENDER_CONCURRENCY,
    clientTimeoutMs: fields.SMTP_CLIENT_TIMEOUT,
    retryDelaysMs: fields.RETRY_DELAYS,
    maxQueueLifetimeMs: fields.MAX_QUEUE_LIFETIME,
    failedRetentionMs: fields.FAILED_RETENTION,
    postmaster: fields.POSTMASTER ?? `postmaster@${fields.SMTP_HOSTNAME}`,
    bounceTemplateFile: fields.BOUNCE_TEMPLATE_FILE,
    rewriteFrom: fields.REWRITE_FROM,
    dkimKeysDir: fields.DKIM_KEYS_DIR,
    smartHostTranscriptDir: fields.SMART_HOST_TRANSCRIPT_DIR,
  };
}

export function toAllInOneConfig(
  fields: AllInOneFields,
  routes: readonly RouteConfig[],
): AllInOneConfig {
  return { ...toIngressConfig(fields), ...toSenderConfig(fields, routes) };
}
