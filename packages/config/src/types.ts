// The typed, frozen configuration objects the services receive. Durations are
// milliseconds, sizes are bytes. Optional settings are `undefined`, never absent.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type SmartHostTlsMode = 'implicit' | 'starttls' | 'none';
export type AuthMechanism = 'PLAIN' | 'LOGIN' | 'CRAM-MD5' | 'XOAUTH2';

export interface CommonConfig {
  readonly redisUrl: string;
  readonly queuePrefix: string;
  readonly logLevel: LogLevel;
  readonly adminHost: string;
  /** 0 = admin HTTP off */
  readonly adminPort: number;
  readonly adminToken: string | undefined;
  /** SMTP_HOSTNAME: greeting, Received: headers, default HELO name and postmaster domain */
  readonly smtpHostname: string;
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
  readonly allowInsecureAuth: boolean;
  /** validated CIDRs ("10.0.0.0/8", "::1/128"); a bare address means a single host */
  readonly relayNetworks: readonly string[];
  readonly maxMessageSize: number;
  readonly maxRecipients: number;
  readonly maxClients: number;
  readonly socketTimeoutMs: number;
}

export interface SmartHostConfig {
  readonly host: string;
  readonly port: number;
  readonly tls: SmartHostTlsMode;
  readonly user: string | undefined;
  readonly password: string | undefined;
  /** undefined = any mechanism the smart host offers */
  readonly authMethods: readonly AuthMechanism[] | undefined;
  readonly caFile: string | undefined;
  readonly tlsVerify: boolean;
}

export interface SenderConfig extends CommonConfig {
  readonly smartHost: SmartHostConfig;
  readonly heloName: string;
  readonly concurrency: number;
  readonly clientTimeoutMs: number;
  readonly retryDelaysMs: readonly number[];
  readonly maxQueueLifetimeMs: number;
  readonly postmaster: string;
  readonly bounceTemplateFile: string | undefined;
}

export type AllInOneConfig = IngressConfig & SenderConfig;
