import { INGRESS_REPLIES } from '@smtp-relay/smtp-errors';
import type { SMTPServerAddress, SMTPServerSession } from 'smtp-server';
import { toSmtpServerError } from '../reply.ts';

/** During a graceful stop no new transaction starts: 421, and the client retries later. */
export function createOnMailFrom(isShuttingDown: () => boolean) {
  return (
    _address: SMTPServerAddress,
    _session: SMTPServerSession,
    callback: (error?: Error | null) => void,
  ): void => {
    callback(isShuttingDown() ? toSmtpServerError(INGRESS_REPLIES.shuttingDown) : undefined);
  };
}
