import type { RelayMetrics } from '@smtp-relay/observability';
import {
  asIngressReply,
  INGRESS_REPLIES,
  replyClass,
  type IngressReply,
  type SmtpReply,
} from '@smtp-relay/smtp-errors';
import type { BlockReason } from '@smtp-relay/store';

/** What smtp-server hooks accept as a refusal: an Error carrying the reply code. */
export interface SmtpServerError extends Error {
  responseCode: number;
}

/**
 * Turns a reply value into the error smtp-server sends. The enhanced code leads
 * the text; the server keeps it as given (see enhanced-status-server.ts). Counts
 * nothing: hooks answer with `refuse`, which counts and then calls this.
 */
export function toSmtpServerError(reply: SmtpReply): SmtpServerError {
  return Object.assign(new Error(`${reply.enhanced} ${reply.text}`), { responseCode: reply.code });
}

/**
 * The reply for whatever a piece of ingress threw: a ReplyError's own, and
 * 451 4.3.0 (reason internal-error) for anything else. smtp-server's defaults
 * would be 550 (permanent) for MAIL/RCPT, telling a client to drop mail
 * because of a Redis blip.
 */
export function replyFor(error: unknown): IngressReply {
  if (error instanceof ReplyError) return error.reply;
  return INGRESS_REPLIES.temporaryFailure;
}

/** `replyFor` as smtp-server's error, uncounted (for code that has no metrics at hand). */
export function toSafeSmtpServerError(error: unknown): SmtpServerError {
  return toSmtpServerError(replyFor(error));
}

/**
 * Thrown inside ingress when a specific reply is meant: a table entry, or one
 * with its reason (asIngressReply). A reply without one is still given, and
 * counted as internal-error: nobody said why.
 */
export class ReplyError extends Error {
  readonly reply: IngressReply;
  constructor(reply: SmtpReply, options?: ErrorOptions) {
    super(`${String(reply.code)} ${reply.enhanced} ${reply.text}`, options);
    this.name = 'ReplyError';
    this.reply = asIngressReply(reply, 'internal-error');
  }
}

/** The counters a reply goes into (README "Metrics"). */
export type ReplyMetrics = Pick<
  RelayMetrics,
  'smtpReplies' | 'messagesRejected' | 'connectionsRefused'
>;

/** Where in the session a reply is given; it decides which counter takes the reason. */
export type ReplyStage = 'connect' | 'helo' | 'auth' | 'mail' | 'rcpt' | 'data' | 'session';

/**
 * Which counter, besides smtp_relay_smtp_replies_total{class}, counts a refusal's
 * reason at each stage. Only refusals (4xx, 5xx) have a reason there.
 */
const REASON_COUNTERS: Readonly<
  Record<ReplyStage, 'connectionsRefused' | 'messagesRejected' | undefined>
> = {
  // 421 instead of the greeting: the connection is refused.
  connect: 'connectionsRefused',
  // Not a transaction: the class counts it (failed passwords also in auth_failures).
  helo: undefined,
  auth: undefined,
  // A transaction, or one of its recipients, refused or not queued.
  mail: 'messagesRejected',
  rcpt: 'messagesRejected',
  data: 'messagesRejected',
  // A session closed mid-way (too slow, too many refused commands, shutdown).
  session: undefined,
};

/**
 * Counts one reply ingress gives: its class from its code, its reason from the
 * reply table (packages/smtp-errors/src/ingress-replies.ts). `blockedFor` names
 * the block a connection is refused for (reason `blocked-auth`, `blocked-filter`).
 */
export function countReply(
  metrics: ReplyMetrics,
  stage: ReplyStage,
  reply: IngressReply,
  blockedFor?: BlockReason,
): void {
  metrics.smtpReplies.inc({ class: replyClass(reply.code) });
  const counter = REASON_COUNTERS[stage];
  if (counter === undefined || reply.code < 400) return;
  const reason = blockedFor === undefined ? reply.reason : `${reply.reason}-${blockedFor}`;
  metrics[counter].inc({ reason });
}

/**
 * How hooks refuse: counts the reply, then makes smtp-server's error of it. Called
 * where the answer is given, so what is counted is what the client hears.
 */
export function refuse(
  metrics: ReplyMetrics,
  stage: ReplyStage,
  reply: IngressReply,
  blockedFor?: BlockReason,
): SmtpServerError {
  countReply(metrics, stage, reply, blockedFor);
  return toSmtpServerError(reply);
}
