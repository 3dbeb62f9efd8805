import { INGRESS_REPLIES, type SmtpReply } from '@smtp-relay/smtp-errors';

/** What smtp-server hooks accept as a refusal: an Error carrying the reply code. */
export interface SmtpServerError extends Error {
  responseCode: number;
}

/**
 * Turns a reply value into the error smtp-server sends. The enhanced code leads
 * the text; the server keeps it as given (see enhanced-status-server.ts).
 */
export function toSmtpServerError(reply: SmtpReply): SmtpServerError {
  return Object.assign(new Error(`${reply.enhanced} ${reply.text}`), { responseCode: reply.code });
}

/**
 * Anything that is not a deliberate reply becomes 451 4.3.0: smtp-server's
 * defaults would be 550 (permanent) for MAIL/RCPT, telling a client to drop mail
 * because of a Redis blip.
 */
export function toSafeSmtpServerError(error: unknown): SmtpServerError {
  if (error instanceof ReplyError) return toSmtpServerError(error.reply);
  return toSmtpServerError(INGRESS_REPLIES.temporaryFailure);
}

/** Thrown inside ingress when a specific reply is meant. */
export class ReplyError extends Error {
  readonly reply: SmtpReply;
  constructor(reply: SmtpReply, options?: ErrorOptions) {
    super(`${String(reply.code)} ${reply.enhanced} ${reply.text}`, options);
    this.name = 'ReplyError';
    this.reply = reply;
  }
}
