import { hostname } from 'node:os';
import * as z from 'zod';
import {
  booleanText,
  derived,
  optional,
  parsedBy,
  withDefault,
  type VariableDefault,
  type VariableField,
} from './env-fields.ts';
import { isSecretName } from './secret-names.ts';
import { parsePublishAddress, parseRelayNetworks } from './relay-trust.ts';
import {
  parseCertificateFile,
  parsePrivateKeyFile,
  parseReadableDirectory,
  parseReadableFile,
} from './file-values.ts';
import { parseAuthMechanisms, parseHeloName, parseMailAddress } from './mail-values.ts';
import { parseServiceAccountFile, parseTenant, parseTokenUrl } from './oauth2-values.ts';
import { PROVIDER_PRESETS, SMART_HOST_PROVIDERS } from './provider-presets.ts';
import { parseSendingRate } from './sending-rate.ts';
import { parseSmartHostList } from './smart-host-list.ts';
import {
  parseDomainName,
  parseHostAndPort,
  parseHostOrAddress,
  parseNetworkList,
  parsePort,
  parseRedisUrl,
} from './network-values.ts';
import { parseSentinelList, parseSentinelMasterName } from './redis-values.ts';
import {
  parseBearerToken,
  parseDurationList,
  parseDurationWithin,
  parseInteger,
  parseKeyPrefix,
  parseOneOf,
  parseSizeWithin,
  parseTlsVersion,
} from './scalar-values.ts';

export type VariableSection = 'common' | 'ingress' | 'sender';

interface VariableDefinition extends VariableField<unknown> {
  readonly section: VariableSection;
  /** one line for docs and .env.example */
  readonly doc: string;
}

const port = parsedBy((text) => parsePort(text));
const readableFile = parsedBy(parseReadableFile);
const text = parsedBy((value) => value);
// Node's setTimeout overflows above 2^31-1 ms (~24.8 days) and then fires at once.
const timeout = parsedBy((value) =>
  parseDurationWithin(value, {
    min: 1,
    max: { value: 24 * 86_400_000, why: 'the longest timer Node.js supports' },
  }),
);

/** docs/reference.md "Failover, routes and rate limits": the cool-down doubles up to this. */
export const MAX_COOLDOWN_MS = 600_000;

/** `m365: 30/1m; gmail: 2000/1d; ...`, from the presets themselves. */
function presetRateDefault(key: 'rate' | 'recipientRate'): string {
  const rates = SMART_HOST_PROVIDERS.flatMap((name) => {
    const rate = PROVIDER_PRESETS[name][key];
    return rate === undefined ? [] : [`${name}: ${rate}`];
  });
  return `the SMART_HOST_PROVIDER preset's (${rates.join('; ')}), else no limit`;
}

/**
 * Every environment variable, in the documented order (which
 * `config` output follows). SMTP_HOSTNAME was first documented with ingress but is common:
 * the sender needs it for its EHLO name and postmaster address.
 */
const DEFINITIONS = {
  REDIS_URL: {
    section: 'common',
    doc: 'Redis holding the queue and the message bodies (redis:// or rediss://)',
    ...withDefault('redis://127.0.0.1:6379', parsedBy(parseRedisUrl)),
  },
  REDIS_PASSWORD: {
    section: 'common',
    doc: "Redis password (requirepass), used with REDIS_URL's host; docker-compose.yml reads it from the secret it generates",
    ...optional("none, or REDIS_URL's", z.string()),
  },
  REDIS_CA_FILE: {
    section: 'common',
    doc: 'PEM file of CA certificates trusted for rediss:// (and TLS sentinels), in addition to the system CAs',
    ...optional('the system CAs only', readableFile),
  },
  REDIS_SENTINELS: {
    section: 'common',
    doc: "Redis Sentinel addresses (host:port,...): connect to the primary they name and follow failovers; REDIS_URL's host and port are then not used (its user, password and database are)",
    ...optional('no Sentinel: REDIS_URL is the server', parsedBy(parseSentinelList)),
  },
  REDIS_SENTINEL_MASTER: {
    section: 'common',
    doc: 'the name the sentinels monitor the primary under',
    ...withDefault(
      'mymaster',
      parsedBy((value) => parseSentinelMasterName(value)),
    ),
  },
  REDIS_SENTINEL_PASSWORD: {
    section: 'common',
    doc: 'password of the sentinels themselves (their requirepass), if they have one',
    ...optional('none', z.string()),
  },
  QUEUE_PREFIX: {
    section: 'common',
    doc: "key prefix; two deployments on one Redis never see each other's data",
    ...withDefault('smtp-relay', parsedBy(parseKeyPrefix)),
  },
  LOG_LEVEL: {
    section: 'common',
    doc: 'debug, info, warn or error',
    ...withDefault(
      'info',
      parsedBy((value) => parseOneOf(value, ['debug', 'info', 'warn', 'error'])),
    ),
  },
  ADMIN_HOST: {
    section: 'common',
    doc: 'bind address of the admin HTTP server (health, metrics, API, UI)',
    ...withDefault('0.0.0.0', parsedBy(parseHostOrAddress)),
  },
  ADMIN_PORT: {
    section: 'common',
    doc: 'port of the admin HTTP server; 0 = off',
    ...withDefault(
      '8080',
      parsedBy((value) => parsePort(value, { allowZero: true })),
    ),
  },
  ADMIN_TOKEN: {
    section: 'common',
    doc: 'bearer token (16+ characters) for the admin API and UI; without it they answer 401',
    ...optional('none: admin API and UI answer 401', parsedBy(parseBearerToken)),
  },
  SMTP_HOST: {
    section: 'ingress',
    doc: 'bind address of the SMTP listeners',
    ...withDefault('0.0.0.0', parsedBy(parseHostOrAddress)),
  },
  SMTP_PORT: {
    section: 'ingress',
    doc: 'SMTP port, with STARTTLS when a certificate is configured',
    ...withDefault('2525', port),
  },
  SMTPS_PORT: {
    section: 'ingress',
    doc: 'implicit-TLS SMTP port (the "465" style); needs TLS_CERT_FILE and TLS_KEY_FILE',
    ...optional('off', port),
  },
  SMTP_HOSTNAME: {
    section: 'common',
    doc: 'name in the greeting and Received: headers; default EHLO name and postmaster domain',
    default: { kind: 'derived', description: "this machine's host name" },
    schema: parsedBy(parseDomainName).prefault(() => hostname()),
  },
  TLS_CERT_FILE: {
    section: 'ingress',
    doc: 'PEM certificate chain for STARTTLS and SMTPS',
    ...optional('none: no STARTTLS, no SMTPS', parsedBy(parseCertificateFile)),
  },
  TLS_KEY_FILE: {
    section: 'ingress',
    doc: 'PEM private key (unencrypted) of TLS_CERT_FILE',
    ...optional('none', parsedBy(parsePrivateKeyFile)),
  },
  SMTP_AUTH_FILE: {
    section: 'ingress',
    doc: 'credentials file: one "username secret" per line',
    ...optional('none: no SMTP AUTH', readableFile),
  },
  // docs/reference.md "Sender address rules" (Postfix's smtpd_sender_login_maps).
  SMTP_SENDERS_FILE: {
    section: 'ingress',
    doc: 'sender address rules: one "username pattern[,pattern...]" per line (user@domain, *@domain, *); an SMTP AUTH user listed there may use only matching MAIL FROM addresses (else 553 5.7.1), others any; re-read when it changes',
    ...optional('none: any user may use any address', readableFile),
  },
  SMTP_ALLOW_INSECURE_AUTH: {
    section: 'ingress',
    doc: 'allow AUTH before TLS (for LAN devices that cannot do TLS)',
    ...withDefault('false', booleanText),
  },
  SMTP_RELAY_NETWORKS: {
    section: 'ingress',
    doc: 'CIDRs (comma or space separated) allowed to relay without AUTH; container-bridges = 172.16.0.0/12 and 10.89.0.0/16, only while SMTP_PUBLISHED_ON is a loopback address',
    ...withDefault('', parsedBy(parseRelayNetworks)),
  },
  SMTP_PUBLISHED_ON: {
    section: 'ingress',
    doc: 'where docker-compose.yml publishes the SMTP port (its SMTP_PUBLISH, e.g. 127.0.0.1:2525); decides whether container-bridges trusts anyone',
    ...optional('unset: not published by docker-compose.yml', parsedBy(parsePublishAddress)),
  },
  SMTP_MAX_MESSAGE_SIZE: {
    section: 'ingress',
    doc: 'largest message accepted, advertised in SIZE; larger ones get 552',
    ...withDefault(
      '25m',
      parsedBy((value) =>
        parseSizeWithin(value, {
          min: 1,
          max: { value: 512 * 1024 ** 2, why: 'the largest value Redis stores' },
        }),
      ),
    ),
  },
  SMTP_MAX_RECIPIENTS: {
    section: 'ingress',
    doc: 'recipients per message; more get 452',
    ...withDefault(
      '100',
      parsedBy((value) => parseInteger(value, 1, 100_000)),
    ),
  },
  SMTP_MAX_CLIENTS: {
    section: 'ingress',
    doc: 'concurrent SMTP connections',
    ...withDefault(
      '1000',
      parsedBy((value) => parseInteger(value, 1, 1_000_000)),
    ),
  },
  SMTP_SOCKET_TIMEOUT: {
    section: 'ingress',
    doc: 'idle client timeout; also the longest a command line may take, and DATA must move 1 KiB per this time',
    ...withDefault('60s', timeout),
  },
  REDIS_WAIT_REPLICAS: {
    section: 'ingress',
    doc: 'before its 250, ingress waits until this many Redis replicas hold the message (Redis WAIT, at most a third of SMTP_SOCKET_TIMEOUT), else 451 4.3.0; with it a failover loses no message that got 250',
    ...withDefault(
      '0',
      parsedBy((value) => parseInteger(value, 0, 100)),
    ),
  },
  // docs/reference.md "Failover, routes and rate limits": a list, tried in order.
  SMART_HOST: {
    section: 'sender',
    doc: 'smart host name or address, or several in the order they are tried, each with an optional port (primary.example:587,backup.example:465, IPv6 as [2001:db8::1]:587); all share the credentials, and one failing at connection level is skipped for SMART_HOST_COOLDOWN',
    ...derived(
      "**required**, unless SMART_HOST_PROVIDER names a preset (then the preset's host)",
      parsedBy(parseSmartHostList),
    ),
  },
  SMART_HOST_PORT: {
    section: 'sender',
    doc: 'smart host port (of SMART_HOST entries without their own)',
    ...derived("the SMART_HOST_PROVIDER preset's port, else 587", port),
  },
  SMART_HOST_TLS: {
    section: 'sender',
    doc: 'implicit, starttls (required, never falls back to plain) or none, for every SMART_HOST entry',
    ...derived(
      "the SMART_HOST_PROVIDER preset's mode unless a port is set (SMART_HOST_PORT or in the entry); else implicit on port 465, else starttls",
      parsedBy((value) => parseOneOf(value, ['implicit', 'starttls', 'none'])),
    ),
  },
  SMART_HOST_USER: {
    section: 'sender',
    doc: 'SMTP AUTH user name at the smart host; with OAuth2 the mailbox to send as',
    ...optional('none: no AUTH (SMART_HOST_PROVIDER=sendgrid: apikey)', text),
  },
  SMART_HOST_PASSWORD: {
    section: 'sender',
    doc: 'SMTP AUTH password at the smart host',
    ...optional('none: no AUTH', z.string()),
  },
  SMART_HOST_AUTH_METHODS: {
    section: 'sender',
    doc: 'allowed AUTH mechanisms, e.g. PLAIN,LOGIN (of PLAIN, LOGIN, CRAM-MD5, XOAUTH2)',
    ...optional('any the smart host offers', parsedBy(parseAuthMechanisms)),
  },
  SMART_HOST_CA_FILE: {
    section: 'sender',
    doc: "extra trusted CA certificates (PEM) for the smart host's certificate",
    ...optional('system CAs only', parsedBy(parseCertificateFile)),
  },
  SMART_HOST_TLS_VERIFY: {
    section: 'sender',
    doc: "verify the smart host's certificate and name",
    ...withDefault('true', booleanText),
  },
  HELO_NAME: {
    section: 'sender',
    doc: 'name sent in EHLO',
    ...derived('SMTP_HOSTNAME', parsedBy(parseHeloName)),
  },
  SENDER_CONCURRENCY: {
    section: 'sender',
    doc: 'messages in flight per sender process',
    ...withDefault(
      '10',
      parsedBy((value) => parseInteger(value, 1, 1000)),
    ),
  },
  SMTP_CLIENT_TIMEOUT: {
    section: 'sender',
    doc: 'connect, greeting and idle socket timeout towards the smart host',
    ...withDefault('60s', timeout),
  },
  RETRY_DELAYS: {
    section: 'sender',
    doc: 'waits between attempts after a temporary failure; the last one repeats',
    ...withDefault('1m,5m,15m,30m,1h,2h,4h', parsedBy(parseDurationList)),
  },
  MAX_QUEUE_LIFETIME: {
    section: 'sender',
    doc: 'after this, a still undeliverable message is bounced',
    ...withDefault(
      '5d',
      parsedBy((value) => parseDurationWithin(value, { min: 1 })),
    ),
  },
  FAILED_RETENTION: {
    section: 'sender',
    doc: 'bodies of bounced and expired messages are kept this long after the last attempt, so that a retry (API, UI, npx smtp-relay queue retry) can send them again to the recipients that failed; then deleted',
    ...withDefault(
      '7d',
      parsedBy((value) =>
        parseDurationWithin(value, {
          min: 1000,
          max: { value: 365 * 86_400_000, why: 'a year; keep mail longer elsewhere' },
        }),
      ),
    ),
  },
  POSTMASTER: {
    section: 'sender',
    doc: 'From address of bounce messages',
    ...derived('postmaster@SMTP_HOSTNAME', parsedBy(parseMailAddress)),
  },
  BOUNCE_TEMPLATE_FILE: {
    section: 'sender',
    doc: 'text of the human-readable part of a bounce',
    ...optional('built in', readableFile),
  },
  // docs/reference.md "Sender address rewriting" (Microsoft 365's SendAsDenied).
  REWRITE_FROM: {
    section: 'sender',
    doc: 'envelope sender and From: address of every relayed message, e.g. the mailbox the smart host lets you send as; the original From: is kept as Reply-To: (when absent) and X-Original-From:, bounces still go to the original sender',
    ...optional('off: senders relayed as they are', parsedBy(parseMailAddress)),
  },
  // docs/reference.md "DKIM signing".
  DKIM_KEYS_DIR: {
    section: 'sender',
    doc: 'DKIM private keys, one unencrypted PEM file per <domain>/<selector>.pem (RSA of at least 1024 bits, or Ed25519): mail whose From: domain is <domain> is signed just before sending (after REWRITE_FROM); a key that cannot be used holds that mail, never sent unsigned; npx smtp-relay dkim <file> prints the DNS record',
    ...optional('off: nothing is signed', parsedBy(parseReadableDirectory)),
  },
  SMART_HOST_OAUTH2_PROVIDER: {
    section: 'sender',
    doc: 'microsoft, google or generic: token URL and scope defaults for AUTH XOAUTH2',
    ...derived(
      'from SMART_HOST_PROVIDER (m365: microsoft; gmail, google-relay: google), else generic',
      parsedBy((value) => parseOneOf(value, ['microsoft', 'google', 'generic'])),
    ),
  },
  SMART_HOST_OAUTH2_TENANT: {
    section: 'sender',
    doc: 'Microsoft tenant id or domain (app-only needs your own tenant)',
    // Not a 'value' default: setting it (even to this) turns OAuth2 on (docs/reference.md: "any SMART_HOST_OAUTH2_*").
    ...derived('organizations', parsedBy(parseTenant)),
  },
  SMART_HOST_OAUTH2_TOKEN_URL: {
    section: 'sender',
    doc: 'token endpoint; https://, or http:// on a loopback address only',
    ...derived(
      'microsoft: https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token; google: https://oauth2.googleapis.com/token',
      parsedBy(parseTokenUrl),
    ),
  },
  SMART_HOST_OAUTH2_CLIENT_ID: {
    section: 'sender',
    doc: 'OAuth2 application (client) id',
    ...optional('none', text),
  },
  SMART_HOST_OAUTH2_CLIENT_SECRET: {
    section: 'sender',
    doc: 'OAuth2 client secret (app-only grant; confidential clients)',
    ...optional('none', z.string()),
  },
  SMART_HOST_OAUTH2_REFRESH_TOKEN: {
    section: 'sender',
    doc: 'refresh token of a delegated grant (from npx smtp-relay oauth2 login)',
    ...optional('none', z.string()),
  },
  SMART_HOST_OAUTH2_SERVICE_ACCOUNT_FILE: {
    section: 'sender',
    doc: 'Google service-account JSON key (domain-wide delegation; sub = SMART_HOST_USER)',
    ...optional('none', parsedBy(parseServiceAccountFile)),
  },
  SMART_HOST_OAUTH2_SCOPE: {
    section: 'sender',
    doc: 'requested OAuth2 scope',
    ...derived(
      'microsoft app-only: https://outlook.office365.com/.default; microsoft refresh token: https://outlook.office.com/SMTP.Send offline_access; google: https://mail.google.com/',
      text,
    ),
  },
  SMART_HOST_PROVIDER: {
    section: 'sender',
    doc: `preset for host, port, TLS and OAuth2 provider: ${SMART_HOST_PROVIDERS.join(', ')}`,
    ...optional(
      'none',
      parsedBy((value) => parseOneOf(value, SMART_HOST_PROVIDERS)),
    ),
  },
  SMART_HOST_REGION: {
    section: 'sender',
    doc: 'region of the ses (e.g. eu-west-1) or mailgun (us, eu) preset',
    ...optional(
      'mailgun: us; ses: required',
      parsedBy((value) => value.toLowerCase()),
    ),
  },
  DEMO_SMART_HOST: {
    section: 'sender',
    doc: 'host:port of a plain-text capture smart host used while neither SMART_HOST nor SMART_HOST_PROVIDER is set (docker-compose.yml: its Mailpit)',
    ...optional('none', parsedBy(parseHostAndPort)),
  },
  // docs/reference.md "POP3 before SMTP" (Mercury's "authenticate via prior POP3 connection").
  SMART_HOST_POP3_HOST: {
    section: 'sender',
    doc: 'POP3 server to log in to (USER/PASS with SMART_HOST_USER and SMART_HOST_PASSWORD, then QUIT) before relaying, in place of SMTP AUTH',
    ...optional('off: no POP3 login', parsedBy(parseHostOrAddress)),
  },
  SMART_HOST_POP3_PORT: {
    section: 'sender',
    doc: 'POP3 server port',
    ...derived('995 with SMART_HOST_POP3_TLS=implicit, else 110', port),
  },
  SMART_HOST_POP3_TLS: {
    section: 'sender',
    doc: "implicit, starttls (STLS, never falls back to plain) or none; the certificate is checked like the smart host's (SMART_HOST_CA_FILE, SMART_HOST_TLS_VERIFY)",
    ...withDefault(
      'implicit',
      parsedBy((value) => parseOneOf(value, ['implicit', 'starttls', 'none'])),
    ),
  },
  SMART_HOST_POP3_INTERVAL: {
    section: 'sender',
    doc: 'at most one POP3 login per this time per sender process; keep it below the time the server lets a login relay',
    ...withDefault(
      '5m',
      parsedBy((value) => parseDurationWithin(value, { min: 1000 })),
    ),
  },
  // docs/reference.md "Failover, routes and rate limits".
  SMART_HOST_COOLDOWN: {
    section: 'sender',
    doc: 'how long a smart host that failed at connection level (refused, timeout, TLS, 421 greeting, authentication) is skipped; doubles while it keeps failing, up to 10m',
    ...withDefault(
      '30s',
      parsedBy((value) =>
        parseDurationWithin(value, {
          min: 1,
          max: { value: MAX_COOLDOWN_MS, why: 'the longest cool-down' },
        }),
      ),
    ),
  },
  SMART_HOST_RATE: {
    section: 'sender',
    doc: "messages per route across all sender replicas, <count>/<duration> (30/1m; duration 1s to 1d, count up to 100000); mail over it waits, never bounces; off (or 0) = no limit, not even the preset's",
    ...derived(presetRateDefault('rate'), parsedBy(parseSendingRate)),
  },
  SMART_HOST_RECIPIENT_RATE: {
    section: 'sender',
    doc: 'recipients per route across all sender replicas, like SMART_HOST_RATE (10000/1d); off (or 0) = no limit',
    ...derived(presetRateDefault('recipientRate'), parsedBy(parseSendingRate)),
  },
  SMART_HOST_ROUTES_FILE: {
    section: 'sender',
    doc: 'YAML file of named routes (match: senders, users; smartHost: host, port, tls, user, passwordFile, authMethods, provider, region, oauth2, rate, recipientRate, cooldown, caFile, tlsVerify; rewriteFrom, dkimKeysDir), checked in order before the SMART_HOST_* route; see docs/reference.md',
    ...optional('none: every message takes the SMART_HOST_* route', readableFile),
  },
  SMTP_FILTER_FILE: {
    section: 'ingress',
    doc: "transaction filter rules in Mercury's transflt.mer format, re-read when it changes",
    ...optional('none: no filter rules', readableFile),
  },
  SMTP_FILTER_BLOCK_TIME: {
    section: 'ingress',
    doc: 'how long a filter rule with the S flag (RS, BS) blocks the client address',
    ...withDefault('30m', timeout),
  },
  SMTP_AUTH_MAX_FAILURES: {
    section: 'ingress',
    doc: 'failed AUTH attempts from one address within SMTP_AUTH_FAILURE_WINDOW before it is blocked',
    ...withDefault(
      '5',
      parsedBy((value) => parseInteger(value, 1, 1_000_000)),
    ),
  },
  SMTP_AUTH_FAILURE_WINDOW: {
    section: 'ingress',
    doc: 'time window in which failed AUTH attempts are counted (across all ingress replicas)',
    ...withDefault('15m', timeout),
  },
  SMTP_AUTH_BLOCK_TIME: {
    section: 'ingress',
    doc: 'how long a blocked address gets 421 on connect',
    ...withDefault('15m', timeout),
  },
  SMTP_MAX_CLIENTS_PER_IP: {
    section: 'ingress',
    doc: 'concurrent connections from one address; more get 421',
    ...withDefault(
      '50',
      parsedBy((value) => parseInteger(value, 1, 1_000_000)),
    ),
  },
  // docs/adr/013-greeting-delay.md: Postfix's postscreen_greet_wait.
  SMTP_GREETING_DELAY: {
    section: 'ingress',
    doc: 'wait before the 220 greeting; a client that talks first gets 421 (as Postfix postscreen_greet_wait). 0 greets at once, right for a submission relay',
    ...withDefault(
      '0s',
      parsedBy((value) =>
        parseDurationWithin(value, {
          min: 0,
          max: { value: 10_000, why: 'a greeting later than that looks like a dead server' },
        }),
      ),
    ),
  },
  SMTP_TLS_MIN_VERSION: {
    section: 'ingress',
    doc: 'oldest TLS version for STARTTLS and SMTPS: TLSv1.2, TLSv1.3, or TLSv1/TLSv1.1 for old printers',
    ...withDefault(
      'TLSv1.2',
      parsedBy((value) => parseTlsVersion(value)),
    ),
  },
  SMTP_PROXY_PROTOCOL: {
    section: 'ingress',
    doc: 'expect PROXY protocol v1/v2 from SMTP_PROXY_TRUSTED (a load balancer) on the SMTP listeners',
    ...withDefault('false', booleanText),
  },
  SMTP_PROXY_TRUSTED: {
    section: 'ingress',
    doc: 'CIDRs allowed to send the PROXY protocol header; other peers are refused',
    ...withDefault('', parsedBy(parseNetworkList)),
  },
  SMTP_TRANSCRIPT_DIR: {
    section: 'ingress',
    doc: 'directory for one transcript file per SMTP session (credentials redacted, no content)',
    ...optional('off', text),
  },
  SMART_HOST_TRANSCRIPT_DIR: {
    section: 'sender',
    doc: 'directory for one transcript file per smart-host session (credentials redacted, no content)',
    ...optional('off', text),
  },
  TRANSCRIPT_RETENTION: {
    section: 'common',
    doc: 'transcript files older than this are removed',
    ...withDefault(
      '7d',
      parsedBy((value) => parseDurationWithin(value, { min: 60_000 })),
    ),
  },
  // docs/reference.md "Message history": 0 keeps none (and ingress reads no Subject for it).
  HISTORY_RETENTION: {
    section: 'common',
    doc: "delivered messages are kept this long as metadata (envelope, subject, size, client, user, attempts, the smart host's reply), searchable in the API, UI and npx smtp-relay queue search; 0 keeps none",
    ...withDefault(
      '7d',
      parsedBy((value) =>
        parseDurationWithin(value, {
          min: 0,
          max: { value: 365 * 86_400_000, why: 'a year; keep mail logs longer elsewhere' },
        }),
      ),
    ),
  },
  HISTORY_MAX_MESSAGES: {
    section: 'common',
    doc: 'at most this many messages are kept in the history (under 1 KiB of Redis memory each for a message to one recipient delivered at once); the oldest go first',
    ...withDefault(
      '100000',
      parsedBy((value) => parseInteger(value, 1, 10_000_000)),
    ),
  },
} as const satisfies Record<string, VariableDefinition>;

type Definitions = typeof DEFINITIONS;
export type VariableName = keyof Definitions;

/** Names of the variables of one or more sections. */
export type VariableNameIn<S extends VariableSection> = {
  [N in VariableName]: Definitions[N]['section'] extends S ? N : never;
}[VariableName];

/** The zod shape of one or more sections: variable name → schema. */
export type VariableShape<S extends VariableSection> = {
  [N in VariableNameIn<S>]: Definitions[N]['schema'];
};

export interface Variable {
  readonly name: VariableName;
  readonly section: VariableSection;
  readonly default: VariableDefault;
  /** may be given as NAME_FILE; shown as <redacted> */
  readonly secret: boolean;
  readonly doc: string;
  /** parses the variable's text (trimmed, '' = undefined) into its value */
  readonly schema: z.ZodType;
}

function freezeVariable([name, definition]: [VariableName, VariableDefinition]): Variable {
  return Object.freeze({ name, ...definition, secret: isSecretName(name) });
}

/** Every variable in the documented order, for docs, .env.example and manifest checks. */
export const VARIABLES: readonly Variable[] = Object.freeze(
  (Object.entries(DEFINITIONS) as [VariableName, VariableDefinition][]).map(freezeVariable),
);

export function variableShape<S extends VariableSection>(sections: readonly S[]): VariableShape<S> {
  const entries = VARIABLES.filter((variable) =>
    (sections as readonly VariableSection[]).includes(variable.section),
  ).map((variable) => [variable.name, variable.schema] as const);
  // The filter above is exactly what VariableNameIn<S> expresses at the type level.
  return Object.fromEntries(entries) as VariableShape<S>;
}
