import { smtpReply, type SmtpReply } from './smtp-reply.ts';

/**
 * Why ingress gave a reply, as the `reason` label of its metrics (README "Metrics").
 * A closed list: labels stay low-cardinality, and a new reason is a deliberate change.
 */
export const INGRESS_REPLY_REASONS = [
  'queued',
  'relay-denied',
  'auth-failed',
  'auth-unavailable',
  'too-many-auth-failures',
  'too-many-recipients',
  'message-too-big',
  'queue-unavailable',
  'client-disconnected',
  'internal-error',
  'shutting-down',
  'blocked',
  'per-ip-limit',
  'too-slow',
  'too-many-refused-commands',
  'filter',
  'sender-not-allowed',
] as const;

export type IngressReplyReason = (typeof INGRESS_REPLY_REASONS)[number];

/** A reply ingress gives, with the reason it is counted under; its class comes from its code. */
export interface IngressReply extends SmtpReply {
  readonly reason: IngressReplyReason;
}

export function ingressReply(
  code: number,
  enhanced: string,
  text: string,
  reason: IngressReplyReason,
): IngressReply {
  return Object.freeze({ ...smtpReply(code, enhanced, text), reason });
}

// Every reply ingress makes itself, in one place, with the reason for its class.
// 4xx means "try again later and it may work"; 5xx means "do not retry".
export const INGRESS_REPLIES = {
  /** Relay attempt without AUTH from outside SMTP_RELAY_NETWORKS, AUTH available (RFC 4954 §6). */
  authenticationRequired: ingressReply(530, '5.7.0', 'Authentication required', 'relay-denied'),
  /** Relay attempt from outside SMTP_RELAY_NETWORKS when this relay offers no AUTH at all. */
  relayDenied: ingressReply(554, '5.7.1', 'Relay access denied', 'relay-denied'),
  /**
   * MAIL FROM an address the authenticated user may not use (SMTP_SENDERS_FILE,
   * docs/reference.md "Sender address rules"): 553, "mailbox name not allowed"
   * (RFC 5321 §4.2.3), with 5.7.1, "not authorized" (RFC 3463).
   */
  senderNotAllowed: ingressReply(
    553,
    '5.7.1',
    'Sender address not allowed for this user',
    'sender-not-allowed',
  ),
  /** Wrong user name or password (RFC 4954 §6). */
  authenticationFailed: ingressReply(
    535,
    '5.7.8',
    'Authentication credentials invalid',
    'auth-failed',
  ),
  /**
   * The credentials could not be checked right now (the file cannot be read, the
   * user's hash costs more than allowed, anything unexpected while checking).
   */
  authenticationUnavailable: ingressReply(
    454,
    '4.7.0',
    'Temporary authentication failure',
    'auth-unavailable',
  ),
  /** Too many failed AUTH attempts in one session: make brute force slow. */
  tooManyAuthFailures: ingressReply(
    421,
    '4.7.0',
    'Too many failed authentication attempts',
    'too-many-auth-failures',
  ),
  /** RCPT beyond SMTP_MAX_RECIPIENTS: the client sends the rest in another transaction (RFC 5321 §4.5.3.1.10). */
  tooManyRecipients: ingressReply(452, '4.5.3', 'Too many recipients', 'too-many-recipients'),
  /** Message over SMTP_MAX_MESSAGE_SIZE (RFC 1870). */
  messageTooBig: ingressReply(
    552,
    '5.3.4',
    'Message size exceeds fixed maximum message size',
    'message-too-big',
  ),
  /** Redis (queue or message store) cannot be written: the client keeps the message and retries. */
  queueUnavailable: ingressReply(
    451,
    '4.3.0',
    'Queue unavailable, try again later',
    'queue-unavailable',
  ),
  /**
   * DATA ended before the final dot (the client went away, or the connection was
   * destroyed at shutdown): nothing was kept. Rarely heard by anyone, but counted.
   */
  dataInterrupted: ingressReply(
    451,
    '4.3.0',
    'Message data interrupted, try again later',
    'client-disconnected',
  ),
  /** Anything unexpected: never a 5xx, the client must not drop the message. */
  temporaryFailure: ingressReply(
    451,
    '4.3.0',
    'Temporary failure, try again later',
    'internal-error',
  ),
  /** The service is shutting down (SIGTERM). */
  shuttingDown: ingressReply(
    421,
    '4.3.2',
    'Service shutting down, try again later',
    'shutting-down',
  ),
  /**
   * The client address is blocked (too many failed AUTHs, or a filter rule with the S
   * flag): 4xx because the block ends by itself (SMTP_AUTH_BLOCK_TIME, SMTP_FILTER_BLOCK_TIME).
   */
  clientBlocked: ingressReply(
    421,
    '4.7.0',
    'Connections from your address are blocked for now, try again later',
    'blocked',
  ),
  /**
   * AUTH from an address blocked for failed logins that is in SMTP_RELAY_NETWORKS: it is
   * let in to relay without AUTH (the devices sharing its NAT), but no password is checked
   * until the block ends. 454 as for any AUTH that may work later (RFC 4954 §6); it does
   * not close the connection.
   */
  authFromBlockedAddress: ingressReply(
    454,
    '4.7.0',
    'Too many failed logins from your address, try again later',
    'blocked',
  ),
  /** More than SMTP_MAX_CLIENTS_PER_IP connections from one address: the client retries later. */
  tooManyConnectionsFromAddress: ingressReply(
    421,
    '4.7.0',
    'Too many connections from your address, try again later',
    'per-ip-limit',
  ),
  /**
   * A command line (or a STARTTLS handshake) not complete within SMTP_SOCKET_TIMEOUT
   * however its bytes trickled in (RFC 3463 4.4.2: bad connection).
   */
  commandTooSlow: ingressReply(
    421,
    '4.4.2',
    'Command not completed in time, closing connection',
    'too-slow',
  ),
  /** DATA moved less than 1 KiB in one SMTP_SOCKET_TIMEOUT. */
  dataTooSlow: ingressReply(421, '4.4.2', 'Message data too slow, closing connection', 'too-slow'),
  /** 10 refused or unknown commands from a client neither authenticated nor in SMTP_RELAY_NETWORKS. */
  tooManyRefusedCommands: ingressReply(
    421,
    '4.7.0',
    'Too many refused commands, closing connection',
    'too-many-refused-commands',
  ),
} as const satisfies Record<string, IngressReply>;

export function queuedReply(messageId: string): IngressReply {
  return ingressReply(250, '2.0.0', `Ok: queued as ${messageId}`, 'queued');
}

const REASONS: ReadonlySet<string> = new Set(INGRESS_REPLY_REASONS);

/** Whether `reply` carries its reason: every table entry does, whatever it is typed as. */
export function isIngressReply(reply: SmtpReply): reply is IngressReply {
  const { reason } = reply as Partial<IngressReply>;
  return typeof reason === 'string' && REASONS.has(reason);
}

/**
 * The reply as counted: with its own reason when it has one (a table entry, even
 * where code types it as a plain SmtpReply: the relay decision, block answers),
 * else under `reason` (replies the operator wrote in SMTP_FILTER_FILE: 'filter').
 */
export function asIngressReply(reply: SmtpReply, reason: IngressReplyReason): IngressReply {
  if (isIngressReply(reply)) return reply;
  return ingressReply(reply.code, reply.enhanced, reply.text, reason);
}
