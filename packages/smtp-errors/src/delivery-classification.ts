import {
  type ClassificationRule,
  commandIs,
  type DeliveryErrorShape,
  type DeliveryFailure,
  type FailureCategory,
  is4xx,
  is5xx,
  replySays,
} from './classification-rule.ts';
import {
  PROVIDER_LIMIT_RULES,
  PROVIDER_MESSAGE_RULES,
  PROVIDER_SETTINGS_RULES,
} from './provider-rules.ts';
import { parseReply, smtpReply, type SmtpReply } from './smtp-reply.ts';

const CERTIFICATE_ERROR =
  /certificate|self[- ]signed|unable to verify|altname|hostname\/ip does not match|CERT_|ERR_TLS_CERT/i;

// A throttling reply (docs/adr/007) is one of these codes with words
// saying so. "Too many recipients" (452 4.5.3) is a per-message limit, not a
// rate: the rest of the recipients go in the next transaction, so it stays
// deferred. A 4.7.x code alone is not enough: greylisting (451 4.7.1) and TLS
// trouble (454 4.7.0) share it.
const THROTTLING_CODES: ReadonlySet<number> = new Set([421, 450, 451, 452, 454]);
const THROTTLING_TEXT = /\brate(?:limit\w*)?\b|throttl|too many (?!recipients\b)/i;

// A smart host that caps how many connections one client may hold refuses the
// next one at the greeting (Postfix "421 4.7.0 Error: too many connections
// from <ip>", Exim "421 Too many concurrent SMTP connections", Exchange "421
// 4.3.2 The maximum number of concurrent server connections has exceeded a
// limit", Nodemailer's smtp-server "421 <name> Too many connected clients,
// try again in a moment"). Not a rate: the route lowers its concurrency
// instead of pausing (docs/adr/012-shared-rate-limiter.md).
const CONNECTION_LIMIT_TEXT =
  /too many (?:concurrent |open |simultaneous |parallel )?(?:smtp |server )?(?:connections|sessions|connected clients)|\bconnection (?:count )?limit\b|maximum number of concurrent/i;

// First match wins: specific rows before the generic ones their replies would
// otherwise fall into. Each row has a test in delivery-classification.test.ts
// or, for the provider rows, provider-rules.test.ts.
export const CLASSIFICATION_RULES: readonly ClassificationRule[] = [
  {
    // Our token client failed before the smart host saw anything: endpoint
    // unreachable, invalid_grant, invalid_client (docs/reference.md "OAuth2 to the smart host": systemic).
    // nodemailer relabels the token error EAUTH, keeping EOAUTH2 as originalCode.
    name: 'OAuth2 token not obtained',
    matches: (e) =>
      e.code === 'EOAUTH2' ||
      e.originalCode === 'EOAUTH2' ||
      (e.code === 'EAUTH' && commandIs(e, 'AUTH XOAUTH2') && e.responseCode === undefined),
    kind: 'systemic',
    category: 'oauth2',
    hint: 'No OAuth2 access token could be obtained: run npx smtp-relay oauth2 check, then check SMART_HOST_OAUTH2_TOKEN_URL, SMART_HOST_OAUTH2_TENANT, SMART_HOST_OAUTH2_CLIENT_ID and SMART_HOST_OAUTH2_CLIENT_SECRET (invalid_client), or renew SMART_HOST_OAUTH2_REFRESH_TOKEN with npx smtp-relay oauth2 login (invalid_grant).',
  },
  {
    // Our POP3 client failed before the smart host saw anything, like the token
    // client above: every message would fail the same way (docs/reference.md
    // "POP3 before SMTP": systemic). Its errors carry the POP3 command and the
    // server's -ERR line, never an SMTP reply.
    name: 'POP3 server refused our login',
    matches: (e) =>
      e.code === 'EPOP3' &&
      e.response !== undefined &&
      (commandIs(e, 'USER') || commandIs(e, 'PASS')),
    kind: 'systemic',
    category: 'pop3',
    hint: 'The POP3 server refused the login before SMTP: check SMART_HOST_USER and SMART_HOST_PASSWORD (the mailbox at SMART_HOST_POP3_HOST).',
  },
  {
    name: 'POP3 login before SMTP failed',
    matches: (e) => e.code === 'EPOP3',
    kind: 'systemic',
    category: 'pop3',
    hint: 'No POP3 login before SMTP: check that SMART_HOST_POP3_HOST answers on SMART_HOST_POP3_PORT within SMTP_CLIENT_TIMEOUT, that SMART_HOST_POP3_TLS fits the port (implicit on 995, starttls or none on 110) and that its certificate is trusted (SMART_HOST_CA_FILE).',
  },
  {
    // Our DKIM signer (DKIM_KEYS_DIR) could not sign a message that must be signed,
    // before the smart host saw anything: holding it is the contract, never sending
    // it unsigned (docs/reference.md "DKIM signing").
    name: 'DKIM key cannot be used',
    matches: (e) => e.code === 'EDKIM',
    kind: 'systemic',
    category: 'dkim',
    hint: 'A key in DKIM_KEYS_DIR cannot be used (the dkim.failed line names its domain, selector and reason): replace <domain>/<selector>.pem with an unencrypted PEM key, RSA of at least 1024 bits or Ed25519, and check it with npx smtp-relay dkim <file>; meanwhile deliveries are held as for any systemic failure and this mail is never sent unsigned.',
  },
  {
    // Before the provider limits and the generic throttling row, whose
    // "too many" text would take it.
    name: 'smart host refuses more connections at once',
    matches: (e) =>
      e.responseCode === 421 &&
      (commandIs(e, 'CONN') || commandIs(e, 'EHLO') || commandIs(e, 'HELO')) &&
      replySays(e, CONNECTION_LIMIT_TEXT),
    kind: 'transient',
    category: 'connection-limit',
    hint: 'The smart host refuses more connections from this relay at once: the route sends with fewer connections for a while and mail waits; if it keeps happening, lower SENDER_CONCURRENCY or the number of sender replicas.',
  },
  ...PROVIDER_LIMIT_RULES,
  {
    name: 'smart host throttling (4xx)',
    matches: (e) =>
      e.responseCode !== undefined &&
      THROTTLING_CODES.has(e.responseCode) &&
      replySays(e, THROTTLING_TEXT),
    kind: 'transient',
    category: 'throttled',
    hint: 'The smart host is limiting how fast this relay sends: mail waits and is retried; if it keeps happening, lower SENDER_CONCURRENCY or the number of sender replicas.',
  },
  {
    // "454 4.7.0 Temporary authentication failure", "454 4.7.0 TLS not available
    // due to temporary reason": the smart host says try later, not "your
    // settings are wrong". Also for AUTH XOAUTH2: only a 5xx condemns the token.
    name: 'temporary refusal of AUTH or STARTTLS',
    matches: (e) => (e.code === 'EAUTH' || e.code === 'ETLS') && is4xx(e),
    kind: 'transient',
    category: 'deferred',
    hint: undefined,
  },
  ...PROVIDER_SETTINGS_RULES,
  {
    // docs/reference.md "OAuth2 to the smart host": a token refused, renewed once and refused again (nodemailer
    // sends the empty line after the 334 challenge and retries once).
    name: 'smart host rejected our OAuth2 token',
    matches: (e) => e.code === 'EAUTH' && commandIs(e, 'AUTH XOAUTH2') && is5xx(e),
    kind: 'systemic',
    category: 'oauth2',
    hint: 'The smart host refused the OAuth2 token for SMART_HOST_USER: Microsoft 365 needs the app permission SMTP.SendAsApp with admin consent, New-ServicePrincipal and Add-MailboxPermission for the mailbox and SMTP AUTH enabled for it; Google needs the scope https://mail.google.com/ and, for a service account, domain-wide delegation.',
  },
  {
    // nodemailer flags a 535 as permanent; for a relay it means OUR password is
    // wrong, which must not bounce the queue.
    name: 'smart host rejected our credentials',
    matches: (e) => e.code === 'EAUTH' || e.code === 'ENOAUTH',
    kind: 'systemic',
    category: 'auth',
    hint: 'The smart host refused the login: check SMART_HOST_USER and SMART_HOST_PASSWORD, and SMART_HOST_AUTH_METHODS if set.',
  },
  {
    name: 'smart host requires authentication we did not give',
    matches: (e) => e.responseCode === 530,
    kind: 'systemic',
    category: 'auth',
    hint: "The smart host wants SMTP AUTH: set SMART_HOST_USER and SMART_HOST_PASSWORD (or SMART_HOST_OAUTH2_*), or register this relay's public IP address with the provider if it relays by address.",
  },
  {
    name: 'smart host certificate not trusted',
    matches: (e) =>
      (e.code === 'ETLS' || e.code === 'ESOCKET' || e.code === 'ECONNECTION') &&
      CERTIFICATE_ERROR.test(e.message),
    kind: 'systemic',
    category: 'tls-certificate',
    hint: "The smart host's certificate is not trusted or does not name SMART_HOST: add the issuing CA (PEM) to SMART_HOST_CA_FILE or use the host name on the certificate; SMART_HOST_TLS_VERIFY=false is for tests only.",
  },
  {
    name: 'STARTTLS refused or failed (SMART_HOST_TLS=starttls never falls back to plain text)',
    matches: (e) => e.code === 'ETLS' || e.code === 'EREQUIRETLS',
    kind: 'systemic',
    category: 'tls',
    hint: 'TLS with the smart host failed: pair SMART_HOST_TLS with SMART_HOST_PORT (starttls on 587 or 25, implicit on 465) and check that the host offers STARTTLS; SMART_HOST_TLS=none only on a trusted network.',
  },
  {
    name: 'transport misconfigured',
    matches: (e) => e.code === 'ECONFIG',
    kind: 'systemic',
    category: 'config',
    hint: 'The SMTP client refused the smart-host settings: npx smtp-relay config prints the effective SMART_HOST_* values to check.',
  },
  {
    // A 5xx greeting ("554 5.7.1 your IP is blocked") refuses us, not the message.
    name: 'smart host refuses this relay permanently at connect',
    matches: (e) =>
      is5xx(e) && (commandIs(e, 'CONN') || commandIs(e, 'EHLO') || commandIs(e, 'HELO')),
    kind: 'systemic',
    category: 'smart-host-refused',
    hint: "The smart host refuses connections from this relay (often its public IP address is blocked or not allowed): ask the provider with the reply's text, or use another SMART_HOST.",
  },
  {
    // nodemailer refuses locally, before MAIL, a message over the SIZE the smart
    // host advertised: no retry can succeed.
    name: 'message larger than the smart host accepts',
    matches: (e) => e.code === 'EMESSAGE' && e.responseCode === undefined,
    kind: 'permanent',
    category: 'message-too-big',
    hint: "Set SMTP_MAX_MESSAGE_SIZE no higher than the smart host's limit, so devices are refused at once instead of getting a bounce later.",
  },
  ...PROVIDER_MESSAGE_RULES,
  {
    name: 'sender address rejected',
    matches: (e) => is5xx(e) && commandIs(e, 'MAIL'),
    kind: 'permanent',
    category: 'sender-rejected',
    hint: 'The smart host does not accept this sender address: many only allow the address of SMART_HOST_USER or of verified domains, so check what the device sends as.',
  },
  {
    name: 'recipients rejected',
    matches: (e) => is5xx(e) && commandIs(e, 'RCPT'),
    kind: 'permanent',
    category: 'recipient-rejected',
    hint: undefined,
  },
  {
    name: 'message rejected after DATA',
    matches: (e) => is5xx(e) && (commandIs(e, 'DATA') || e.code === 'EMESSAGE'),
    kind: 'permanent',
    category: 'content-rejected',
    hint: undefined,
  },
  {
    name: 'smart host deferred (4xx)',
    matches: is4xx,
    kind: 'transient',
    category: 'deferred',
    hint: undefined,
  },
  {
    // A TLS mode that does not fit the port waits for a greeting that never
    // comes (implicit TLS on 587, STARTTLS on 465), so name that pairing.
    name: 'timeout',
    matches: (e) => e.code === 'ETIMEDOUT',
    kind: 'transient',
    category: 'timeout',
    hint: 'If this persists, check that SMART_HOST_TLS fits SMART_HOST_PORT (implicit on 465, starttls on 587 or 25) and that the smart host is reachable within SMTP_CLIENT_TIMEOUT.',
  },
  {
    name: 'connection refused, reset or lost',
    matches: (e) =>
      e.code === 'ECONNECTION' ||
      e.code === 'ESOCKET' ||
      e.code === 'EDNS' ||
      e.code === 'EPROXY' ||
      e.code === 'ECONNREFUSED' ||
      e.code === 'ECONNRESET',
    kind: 'transient',
    category: 'network',
    hint: 'If this persists, check SMART_HOST and SMART_HOST_PORT and that outbound connections to that port are allowed (many clouds block port 25).',
  },
  {
    // 5xx to a command we did not expect (RSET, NOOP...): still the smart host's word on this message.
    name: 'other permanent reply',
    matches: is5xx,
    kind: 'permanent',
    category: 'content-rejected',
    hint: undefined,
  },
];

const SYNTHETIC_REPLIES: Partial<Record<FailureCategory, SmtpReply>> = {
  network: smtpReply(451, '4.4.1', 'No answer from smart host'),
  timeout: smtpReply(451, '4.4.2', 'Smart host connection timed out'),
  auth: smtpReply(451, '4.7.0', 'Smart host authentication failed'),
  oauth2: smtpReply(451, '4.7.0', 'No OAuth2 token for the smart host'),
  pop3: smtpReply(451, '4.7.0', 'No POP3 login before SMTP'),
  dkim: smtpReply(451, '4.3.5', 'DKIM key cannot be used'),
  tls: smtpReply(451, '4.7.5', 'TLS with smart host failed'),
  'tls-certificate': smtpReply(451, '4.7.5', 'Smart host certificate not trusted'),
  config: smtpReply(451, '4.3.5', 'Relay configuration error'),
  'message-too-big': smtpReply(552, '5.3.4', 'Message too big for the smart host'),
};

/** Unknown failures are transient: retrying is recoverable, a wrong bounce is not. */
export function classifyDeliveryError(error: DeliveryErrorShape): DeliveryFailure {
  const rule = CLASSIFICATION_RULES.find((candidate) => candidate.matches(error));
  const kind = rule?.kind ?? 'transient';
  const category = rule?.category ?? 'unknown';
  const parsed = error.response === undefined ? undefined : parseReply(error.response);
  const reply =
    parsed ??
    (error.responseCode === undefined
      ? undefined
      : smtpReply(
          error.responseCode,
          `${String(error.responseCode)[0] ?? '4'}.0.0`,
          error.message,
        )) ??
    SYNTHETIC_REPLIES[category] ??
    smtpReply(451, '4.0.0', error.message);
  return {
    kind,
    category,
    reply,
    rule: rule?.name ?? 'unclassified failure',
    hint: rule?.hint,
  };
}
