// The typed, frozen configuration objects the services receive. Durations are
// milliseconds, sizes are bytes. Optional settings are `undefined`, never absent.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type SmartHostTlsMode = 'implicit' | 'starttls' | 'none';
export type AuthMechanism = 'PLAIN' | 'LOGIN' | 'CRAM-MD5' | 'XOAUTH2';
/** SMART_HOST_PROVIDER: a preset of host, port, TLS mode and OAuth2 provider. */
export type SmartHostProvider =
  'm365' | 'gmail' | 'google-relay' | 'ses' | 'sendgrid' | 'mailgun' | 'postmark';
/** SMART_HOST_OAUTH2_PROVIDER: sets the token URL and scope defaults. */
export type OAuth2Provider = 'microsoft' | 'google' | 'generic';

export type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

export interface CommonConfig {
  /** REDIS_URL, with REDIS_PASSWORD as its password when that is set */
  readonly redisUrl: string;
  /** REDIS_PASSWORD (already part of redisUrl) */
  readonly redisPassword: string | undefined;
  /** How every connection reaches Redis: redisUrl plus Sentinel and TLS (REDIS_*). */
  readonly redis: RedisConnectionSettings;
  readonly queuePrefix: string;
  readonly logLevel: LogLevel;
  readonly adminHost: string;
  /** 0 = admin HTTP off */
  readonly adminPort: number;
  readonly adminToken: string | undefined;
  /** SMTP_HOSTNAME: greeting, Received: headers, default HELO name and postmaster domain */
  readonly smtpHostname: string;
  readonly transcriptRetentionMs: number;
  /** HISTORY_RETENTION: delivered messages are kept as metadata this long; 0 = no history */
  readonly historyRetentionMs: number;
  /** HISTORY_MAX_MESSAGES */
  readonly historyMaxMessages: number;
}

export interface RedisConnectionSettings {
  /** REDIS_URL with REDIS_PASSWORD folded in; with sentinels only its user, password, database and scheme count */
  readonly url: string;
  /** REDIS_SENTINELS; undefined: REDIS_URL's host is the server */
  readonly sentinels: readonly { readonly host: string; readonly port: number }[] | undefined;
  readonly sentinelMaster: string;
  readonly sentinelPassword: string | undefined;
  /** REDIS_CA_FILE: extra CAs for rediss:// */
  readonly caFile: string | undefined;
}

export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface IngressConfig extends CommonConfig {
  readonly smtpHost: string;
  readonly smtpPort: number;
  /** undefined = implicit-TLS listener off */
  readonly smtpsPort: number | undefined;
  /** undefined = no certificate: no STARTTLS, no SMTPS */
  readonly tls: TlsFiles | undefined;
  readonly authFile: string | undefined;
  /** SMTP_SENDERS_FILE: which MAIL FROM addresses each SMTP AUTH user may use */
  readonly sendersFile: string | undefined;
  readonly allowInsecureAuth: boolean;
  /**
   * validated CIDRs ("10.0.0.0/8", "::1/128"); a bare address means a single host. The
   * container bridge ranges are among them when `container-bridges` applies.
   */
  readonly relayNetworks: readonly string[];
  /** SMTP_RELAY_NETWORKS named `container-bridges` (whether it applies or not) */
  readonly containerBridges: boolean;
  /** SMTP_PUBLISHED_ON: where docker-compose.yml publishes the SMTP port */
  readonly smtpPublishedOn: string | undefined;
  readonly maxMessageSize: number;
  readonly maxRecipients: number;
  readonly maxClients: number;
  readonly socketTimeoutMs: number;
  /** REDIS_WAIT_REPLICAS: replicas that must hold a message before its 250 (0: none) */
  readonly redisWaitReplicas: number;
  /** SMTP_FILTER_FILE: Mercury transaction filter rules */
  readonly filterFile: string | undefined;
  readonly filterBlockTimeMs: number;
  readonly authMaxFailures: number;
  readonly authFailureWindowMs: number;
  readonly authBlockTimeMs: number;
  readonly maxClientsPerIp: number;
  /** SMTP_GREETING_DELAY: wait before the 220, refusing early talkers; 0 greets at once */
  readonly greetingDelayMs: number;
  readonly tlsMinVersion: TlsVersion;
  readonly proxyProtocol: boolean;
  /** CIDRs allowed to send a PROXY protocol header */
  readonly proxyTrusted: readonly string[];
  readonly transcriptDir: string | undefined;
}

/** How the sender obtains access tokens (docs/reference.md "OAuth2 to the smart host": grant order). */
export type OAuth2Grant =
  /** A delegated grant: the refresh token configured (a rotated one in Redis replaces it). */
  | {
      readonly kind: 'refresh-token';
      readonly refreshToken: string;
      readonly clientSecret: string | undefined;
    }
  /** Google service account with domain-wide delegation: a JWT signed with its key, sub = user. */
  | {
      readonly kind: 'service-account';
      /** The JSON key file; read again when tokens are made, so the key is not in this object. */
      readonly keyFile: string;
      readonly clientEmail: string;
    }
  /** Microsoft app-only (SMTP.SendAsApp). */
  | { readonly kind: 'client-credentials'; readonly clientSecret: string };

export interface OAuth2Config {
  readonly provider: OAuth2Provider;
  readonly tenant: string;
  readonly tokenUrl: string;
  readonly clientId: string | undefined;
  /** undefined = no scope parameter (generic endpoints only) */
  readonly scope: string | undefined;
  readonly grant: OAuth2Grant;
}

/** One entry of the SMART_HOST list (docs/reference.md "Failover, routes and rate limits"). */
export interface SmartHostEndpoint {
  readonly host: string;
  readonly port: number;
  readonly tls: SmartHostTlsMode;
}

/** SMART_HOST_RATE / SMART_HOST_RECIPIENT_RATE, e.g. `30/1m`: at most `count` per `perMs`. */
export interface SendingRate {
  readonly count: number;
  readonly perMs: number;
}

export interface SmartHostConfig {
  /** the SMART_HOST_PROVIDER preset the defaults came from */
  readonly provider: SmartHostProvider | undefined;
  /** SMART_HOST_REGION (ses, mailgun) */
  readonly region: string | undefined;
  /** true: DEMO_SMART_HOST is used (no SMART_HOST, no preset): mail is captured, not delivered */
  readonly demo: boolean;
  /** The first of `hosts` (what a single-host set-up has). */
  readonly host: string;
  readonly port: number;
  readonly tls: SmartHostTlsMode;
  /** SMART_HOST as a list, in the order they are tried; never empty. */
  readonly hosts: readonly SmartHostEndpoint[];
  /** SMART_HOST_COOLDOWN: a failed host's first cool-down; it doubles up to 10 min. */
  readonly cooldownMs: number;
  /** SMART_HOST_RATE (or the preset's); undefined = no limit. */
  readonly rate: SendingRate | undefined;
  /** SMART_HOST_RECIPIENT_RATE (or the preset's); undefined = no limit. */
  readonly recipientRate: SendingRate | undefined;
  readonly user: string | undefined;
  readonly password: string | undefined;
  /** set when any SMART_HOST_OAUTH2_* variable is: AUTH XOAUTH2 with user = the mailbox */
  readonly oauth2: OAuth2Config | undefined;
  /** undefined = any mechanism the smart host offers */
  readonly authMethods: readonly AuthMechanism[] | undefined;
  readonly caFile: string | undefined;
  readonly tlsVerify: boolean;
}

/**
 * SMART_HOST_POP3_*: POP3 before SMTP (docs/reference.md "POP3 before SMTP"). The login
 * is SMART_HOST_USER and SMART_HOST_PASSWORD; the certificate is checked with the smart
 * host's settings (caFile, tlsVerify).
 */
export interface Pop3Config {
  readonly host: string;
  readonly port: number;
  readonly tls: SmartHostTlsMode;
  readonly intervalMs: number;
}

/**
 * A route of SMART_HOST_ROUTES_FILE: mail it matches goes to its own smart host
 * (docs/reference.md "Failover, routes and rate limits").
 */
export interface RouteConfig {
  /** Unique; `default` is the name of the SMART_HOST_* route and is not allowed here. */
  readonly name: string;
  readonly match: {
    /** Envelope-sender patterns: `user@domain`, `*@domain`, `*`. */
    readonly senders: readonly string[];
    /** Authenticated (SMTP AUTH) user names. */
    readonly users: readonly string[];
  };
  readonly smartHost: SmartHostConfig;
  /** The route's own REWRITE_FROM (not inherited from the variable). */
  readonly rewriteFrom: string | undefined;
  /** The route's DKIM_KEYS_DIR; DKIM_KEYS_DIR when the route does not set one. */
  readonly dkimKeysDir: string | undefined;
}

/** The route of the SMART_HOST_* variables, taken when no route of the file matches. */
export const DEFAULT_ROUTE_NAME = 'default';

export interface SenderConfig extends CommonConfig {
  /** The default route's smart host (the SMART_HOST_* variables). */
  readonly smartHost: SmartHostConfig;
  /** SMART_HOST_ROUTES_FILE */
  readonly routesFile: string | undefined;
  /** The file's routes, in the order they are checked; [] without a file. */
  readonly routes: readonly RouteConfig[];
  /** undefined = no POP3 login before SMTP */
  readonly pop3: Pop3Config | undefined;
  readonly heloName: string;
  readonly concurrency: number;
  readonly clientTimeoutMs: number;
  readonly retryDelaysMs: readonly number[];
  readonly maxQueueLifetimeMs: number;
  /** FAILED_RETENTION: bodies of failed messages are kept this long for a retry */
  readonly failedRetentionMs: number;
  readonly postmaster: string;
  readonly bounceTemplateFile: string | undefined;
  /** REWRITE_FROM; undefined = senders relayed as they are */
  readonly rewriteFrom: string | undefined;
  /** DKIM_KEYS_DIR; undefined = nothing is signed */
  readonly dkimKeysDir: string | undefined;
  /** SMART_HOST_TRANSCRIPT_DIR */
  readonly smartHostTranscriptDir: string | undefined;
}

export type AllInOneConfig = IngressConfig & SenderConfig;
