import { smtpReply, type SmtpReply } from './smtp-reply.ts';

// Every reply ingress makes itself, in one place, with the reason for its class.
// 4xx means "try again later and it may work"; 5xx means "do not retry".
export const INGRESS_REPLIES = {
  /** Relay attempt without AUTH from outside SMTP_RELAY_NETWORKS, AUTH available (RFC 4954 §6). */
  authenticationRequired: smtpReply(530, '5.7.0', 'Authentication required'),
  /** Relay attempt from outside SMTP_RELAY_NETWORKS when this relay offers no AUTH at all. */
  relayDenied: smtpReply(554, '5.7.1', 'Relay access denied'),
  /** Wrong user name or password (RFC 4954 §6). */
  authenticationFailed: smtpReply(535, '5.7.8', 'Authentication credentials invalid'),
  /** The credentials could not be checked right now. */
  authenticationUnavailable: smtpReply(454, '4.7.0', 'Temporary authentication failure'),
  /** Too many failed AUTH attempts in one session: make brute force slow. */
  tooManyAuthFailures: smtpReply(421, '4.7.0', 'Too many failed authentication attempts'),
  /** RCPT beyond SMTP_MAX_RECIPIENTS: the client sends the rest in another transaction (RFC 5321 §4.5.3.1.10). */
  tooManyRecipients: smtpReply(452, '4.5.3', 'Too many recipients'),
  /** Message over SMTP_MAX_MESSAGE_SIZE (RFC 1870). */
  messageTooBig: smtpReply(552, '5.3.4', 'Message size exceeds fixed maximum message size'),
  /** Redis (queue or message store) cannot be written: the client keeps the message and retries. */
  queueUnavailable: smtpReply(451, '4.3.0', 'Queue unavailable, try again later'),
  /** Anything unexpected: never a 5xx, the client must not drop the message. */
  temporaryFailure: smtpReply(451, '4.3.0', 'Temporary failure, try again later'),
  /** The service is shutting down (SIGTERM). */
  shuttingDown: smtpReply(421, '4.3.2', 'Service shutting down, try again later'),
  /**
   * The client address is blocked (too many failed AUTHs, or a filter rule with the S
   * flag): 4xx because the block ends by itself (SMTP_AUTH_BLOCK_TIME, SMTP_FILTER_BLOCK_TIME).
   */
  clientBlocked: smtpReply(
    421,
    '4.7.0',
    'Connections from your address are blocked for now, try again later',
  ),
  /**
   * AUTH from an address blocked for failed logins that is in SMTP_RELAY_NETWORKS: it is
   * let in to relay without AUTH (the devices sharing its NAT), but no password is checked
   * until the block ends. 454 as for any AUTH that may work later (RFC 4954 §6); it does
   * not close the connection.
   */
  authFromBlockedAddress: smtpReply(
    454,
    '4.7.0',
    'Too many failed logins from your address, try again later',
  ),
  /** More than SMTP_MAX_CLIENTS_PER_IP connections from one address: the client retries later. */
  tooManyConnectionsFromAddress: smtpReply(
    421,
    '4.7.0',
    'Too many connections from your address, try again later',
  ),
  /**
   * A command line (or a STARTTLS handshake) not complete within SMTP_SOCKET_TIMEOUT
   * however its bytes trickled in (RFC 3463 4.4.2: bad connection).
   */
  commandTooSlow: smtpReply(421, '4.4.2', 'Command not completed in time, closing connection'),
  /** DATA moved less than 1 KiB in one SMTP_SOCKET_TIMEOUT. */
  dataTooSlow: smtpReply(421, '4.4.2', 'Message data too slow, closing connection'),
  /** 10 refused or unknown commands from a client neither authenticated nor in SMTP_RELAY_NETWORKS. */
  tooManyRefusedCommands: smtpReply(421, '4.7.0', 'Too many refused commands, closing connection'),
} as const satisfies Record<string, SmtpReply>;

export function queuedReply(messageId: string): SmtpReply {
  return smtpReply(250, '2.0.0', `Ok: queued as ${messageId}`);
}
