import { INGRESS_REPLIES, type IngressReply } from '@smtp-relay/smtp-errors';
import type { SMTPServerAddress, SMTPServerSession } from 'smtp-server';
import type { SessionFilter } from '../filter/session-filter.ts';
import { refuse, replyFor, type ReplyMetrics } from '../reply.ts';

/**
 * During a graceful stop no new transaction starts: 421, and the client retries later.
 * Then SMTP_FILTER_FILE's M rules, on the address (empty for the null sender `<>`).
 */
export function createOnMailFrom(
  isShuttingDown: () => boolean,
  filter: SessionFilter | undefined,
  metrics: ReplyMetrics,
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
