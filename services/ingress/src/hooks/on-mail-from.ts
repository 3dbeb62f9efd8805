import { INGRESS_REPLIES, type IngressReply } from '@smtp-relay/smtp-errors';
import type { SMTPServerAddress, SMTPServerSession } from 'smtp-server';
import type { SessionFilter } from '../filter/session-filter.ts';
import { refuse, replyFor, type ReplyMetrics } from '../reply.ts';
import type { SenderCheck } from '../sender-rules/sender-check.ts';

/**
 * During a graceful stop no new transaction starts: 421, and the client retries later.
 * Then SMTP_SENDERS_FILE: a listed user may only use its own addresses (553 5.7.1).
 * It comes before SMTP_FILTER_FILE's M rules, as Postfix set-ups list
 * reject_sender_login_mismatch first among their sender restrictions: the
 * login's own permission is settled first, and an address it may not use never
 * reaches a rule that would block the client address (docs/reference.md "Sender
 * address rules"). Then the M rules, on the address (empty for the null sender `<>`).
 */
export function createOnMailFrom(
  isShuttingDown: () => boolean,
  filter: SessionFilter | undefined,
  metrics: ReplyMetrics,
  senders?: SenderCheck,
) {
  const refusal = (reply: IngressReply): Error => refuse(metrics, 'mail', reply);
  return (
    address: SMTPServerAddress,
    session: SMTPServerSession,
    callback: (error?: Error | null) => void,
  ): void => {
    if (isShuttingDown()) {
      callback(refusal(INGRESS_REPLIES.shuttingDown));
      return;
    }
    let senderRefusal: IngressReply | undefined;
    // smtp-server calls this hook without catching: a throw (a log line that
    // cannot be written) must become a 4xx, not end the process.
    try {
      senderRefusal = senders?.check(address.address, session);
    } catch (error) {
      callback(refusal(replyFor(error)));
      return;
    }
    if (senderRefusal !== undefined) {
      callback(refusal(senderRefusal));
      return;
    }
    if (filter === undefined) {
      callback();
      return;
    }
    filter.check({ type: 'M', value: address.address }, session).then(
      (reply) => {
        callback(reply === undefined ? undefined : refusal(reply));
      },
      (error: unknown) => {
        callback(refusal(replyFor(error)));
      },
    );
  };
}
