import { parseReply, smtpReply, type SmtpReply } from './smtp-reply.ts';

// How the sender reacts to a failed attempt towards the smart host. Three
// kinds, not two, because some failures say nothing about the message:
// - permanent: the smart host refused this message (5xx): bounce it now;
// - transient: try this message again later, on the RETRY_DELAYS schedule;
// - systemic: our side is wrong (credentials, TLS, configuration): every
//   message would fail the same way, so none of them may bounce for it.
export type FailureKind = 'transient' | 'permanent' | 'systemic';

// A small fixed set: these are metric labels and log fields.
export type FailureCategory =
  | 'auth'
  | 'tls'
  | 'tls-certificate'
  | 'config'
  | 'smart-host-refused'
  | 'sender-rejected'
  | 'recipient-rejected'
  | 'content-rejected'
  | 'message-too-big'
  | 'deferred'
  | 'network'
  | 'timeout'
  | 'unknown';

export interface DeliveryFailure {
  readonly kind: FailureKind;
  readonly category: FailureCategory;
  /** The smart host's reply, or a synthetic 4.4.x one for network failures. */
  readonly reply: SmtpReply;
  readonly rule: string;
}

/** The parts of a nodemailer error that classification reads. */
export interface DeliveryErrorShape {
  readonly message: string;
  readonly code?: string | undefined;
  readonly responseCode?: number | undefined;
  readonly command?: string | undefined;
  readonly response?: string | undefined;
}

interface ClassificationRule {
  readonly name: string;
  readonly matches: (error: DeliveryErrorShape) => boolean;
  readonly kind: FailureKind;
  readonly category: FailureCategory;
}

const CERTIFICATE_ERROR =
  /certificate|self[- ]signed|unable to verify|altname|hostname\/ip does not match|CERT_|ERR_TLS_CERT/i;

const is5xx = (error: DeliveryErrorShape): boolean =>
  error.responseCode !== undefined && error.responseCode >= 500 && error.responseCode < 600;
const is4xx = (error: DeliveryErrorShape): boolean =>
  error.responseCode !== undefined && error.responseCode >= 400 && error.responseCode < 500;
const commandIs = (error: DeliveryErrorShape, prefix: string): boolean =>
  (error.command ?? '').toUpperCase().startsWith(prefix);

// First match wins. Each row has a test in delivery-classification.test.ts.
export const CLASSIFICATION_RULES: readonly ClassificationRule[] = [
  {
    // "454 4.7.0 Too many login attempts", "454 4.7.0 TLS not available due to
    // temporary reason": the smart host says try later, not "your settings are wrong".
    name: 'temporary refusal of AUTH or STARTTLS',
    matches: (e) => (e.code === 'EAUTH' || e.code === 'ETLS') && is4xx(e),
    kind: 'transient',
    category: 'deferred',
  },
  {
    // nodemailer flags a 535 as permanent; for a relay it means OUR password is
    // wrong, which must not bounce the queue.
    name: 'smart host rejected our credentials',
    matches: (e) => e.code === 'EAUTH' || e.code === 'ENOAUTH' || e.code === 'EOAUTH2',
    kind: 'systemic',
    category: 'auth',
  },
  {
    name: 'smart host requires authentication we did not give',
    matches: (e) => e.responseCode === 530,
    kind: 'systemic',
    category: 'auth',
  },
  {
    name: 'smart host certificate not trusted',
    matches: (e) =>
      (e.code === 'ETLS' || e.code === 'ESOCKET' || e.code === 'ECONNECTION') &&
      CERTIFICATE_ERROR.test(e.message),
    kind: 'systemic',
    category: 'tls-certificate',
  },
  {
    name: 'STARTTLS refused or failed (SMART_HOST_TLS=starttls never falls back to plain text)',
    matches: (e) => e.code === 'ETLS' || e.code === 'EREQUIRETLS',
    kind: 'systemic',
    category: 'tls',
  },
  {
    name: 'transport misconfigured',
    matches: (e) => e.code === 'ECONFIG',
    kind: 'systemic',
    category: 'config',
  },
  {
    // A 5xx greeting ("554 5.7.1 your IP is blocked") refuses us, not the message.
    name: 'smart host refuses this relay permanently at connect',
    matches: (e) =>
      is5xx(e) && (commandIs(e, 'CONN') || commandIs(e, 'EHLO') || commandIs(e, 'HELO')),
    kind: 'systemic',
    category: 'smart-host-refused',
  },
  {
    // nodemailer refuses locally, before MAIL, a message over the SIZE the smart
    // host advertised: no retry can succeed.
    name: 'message larger than the smart host accepts',
    matches: (e) => e.code === 'EMESSAGE' && e.responseCode === undefined,
    kind: 'permanent',
    category: 'message-too-big',
  },
  {
    name: 'sender address rejected',
    matches: (e) => is5xx(e) && commandIs(e, 'MAIL'),
    kind: 'permanent',
    category: 'sender-rejected',
  },
  {
    name: 'recipients rejected',
    matches: (e) => is5xx(e) && commandIs(e, 'RCPT'),
    kind: 'permanent',
    category: 'recipient-rejected',
  },
  {
    name: 'message rejected after DATA',
    matches: (e) => is5xx(e) && (commandIs(e, 'DATA') || e.code === 'EMESSAGE'),
    kind: 'permanent',
    category: 'content-rejected',
  },
  {
    name: 'smart host deferred (4xx)',
    matches: is4xx,
    kind: 'transient',
    category: 'deferred',
  },
  {
    name: 'timeout',
    matches: (e) => e.code === 'ETIMEDOUT',
    kind: 'transient',
    category: 'timeout',
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
  },
  {
    // 5xx to a command we did not expect (RSET, NOOP...): still the smart host's word on this message.
    name: 'other permanent reply',
    matches: is5xx,
    kind: 'permanent',
    category: 'content-rejected',
  },
];

const SYNTHETIC_REPLIES: Partial<Record<FailureCategory, SmtpReply>> = {
  network: smtpReply(451, '4.4.1', 'No answer from smart host'),
  timeout: smtpReply(451, '4.4.2', 'Smart host connection timed out'),
  auth: smtpReply(451, '4.7.0', 'Smart host authentication failed'),
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
  return { kind, category, reply, rule: rule?.name ?? 'unclassified failure' };
}
