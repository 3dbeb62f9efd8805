import type { SmtpReply } from './smtp-reply.ts';

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
  // No OAuth2 token could be obtained, or the smart host refused the one we sent.
  | 'oauth2'
  // The POP3 login before SMTP failed (docs/reference.md "POP3 before SMTP").
  | 'pop3'
  // A DKIM key of DKIM_KEYS_DIR cannot be used: the mail waits, never unsigned (docs/reference.md "DKIM signing").
  | 'dkim'
  | 'tls'
  | 'tls-certificate'
  | 'config'
  | 'smart-host-refused'
  | 'sender-rejected'
  | 'recipient-rejected'
  | 'content-rejected'
  | 'message-too-big'
  // The smart host limits our rate or quota: wait, never bounce for it.
  | 'throttled'
  // The smart host refuses another connection from us ("421 too many connections"):
  // the route sends with fewer at once, never bounce for it.
  | 'connection-limit'
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
  /** What the operator should fix, in one sentence for the log; undefined when nothing is ours to fix. */
  readonly hint: string | undefined;
}

/** The parts of a nodemailer error that classification reads. */
export interface DeliveryErrorShape {
  readonly message: string;
  readonly code?: string | undefined;
  /** nodemailer keeps an inner error's code here when it relabels it (EOAUTH2 becomes EAUTH). */
  readonly originalCode?: string | undefined;
  readonly responseCode?: number | undefined;
  readonly command?: string | undefined;
  readonly response?: string | undefined;
}

export interface ClassificationRule {
  readonly name: string;
  readonly matches: (error: DeliveryErrorShape) => boolean;
  readonly kind: FailureKind;
  readonly category: FailureCategory;
  readonly hint: string | undefined;
}

export const is5xx = (error: DeliveryErrorShape): boolean =>
  error.responseCode !== undefined && error.responseCode >= 500 && error.responseCode < 600;
export const is4xx = (error: DeliveryErrorShape): boolean =>
  error.responseCode !== undefined && error.responseCode >= 400 && error.responseCode < 500;
export const commandIs = (error: DeliveryErrorShape, prefix: string): boolean =>
  (error.command ?? '').toUpperCase().startsWith(prefix);

/** True when the smart host's reply (all its lines) matches; our own messages never do. */
export const replySays = (error: DeliveryErrorShape, pattern: RegExp): boolean =>
  error.response !== undefined && pattern.test(error.response);

const ENHANCED_CODE = /^[245]\d\d[ -]([245]\.\d{1,3}\.\d{1,3})(?:\s|$)/m;

/** The RFC 3463 code the smart host gave, e.g. "5.7.139"; undefined when it gave none. */
export const enhancedCode = (error: DeliveryErrorShape): string | undefined =>
  error.response === undefined ? undefined : ENHANCED_CODE.exec(error.response)?.[1];
