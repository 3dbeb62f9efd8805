import type { Logger } from '@smtp-relay/observability';
import { INGRESS_REPLIES } from '@smtp-relay/smtp-errors';
import type { SMTPServerSession } from 'smtp-server';
import { toSmtpServerError } from '../reply.ts';
import type { AbuseProtection } from './abuse-protection.ts';

/**
 * The connection-time half of SPEC "Abuse protection": more than
 * SMTP_MAX_CLIENTS_PER_IP connections from one address, or an address that is
 * blocked (AUTH failures on any replica, a filter rule with the S flag), get
 * `421 4.7.0` before the greeting, so a blocked client never reaches AUTH. The
 * cap is checked first: it costs no Redis round trip, and it bounds how many
 * block look-ups one address can cause at once.
 */
export function admitClient(
  abuse: Pick<AbuseProtection, 'connections' | 'blocking'>,
  session: SMTPServerSession,
  address: string,
  log: Logger,
  callback: (error?: Error | null) => void,
): void {
  if (!abuse.connections.open(session.id, address)) {
    log.info(
      { event: 'smtp.client.connection-limit', connections: abuse.connections.count(address) },
      'too many connections from this address',
    );
    callback(toSmtpServerError(INGRESS_REPLIES.tooManyConnectionsFromAddress));
    return;
  }
  abuse.blocking.check(address).then(
    (block) => {
      if (block === undefined) {
        callback();
        return;
      }
      log.info(
        {
          event: 'smtp.client.block-refused',
          reason: block.reason,
          until: new Date(block.until).toISOString(),
        },
        'connection from a blocked address refused',
      );
      callback(toSmtpServerError(INGRESS_REPLIES.clientBlocked));
    },
    (error: unknown) => {
      // Not an address the store knows how to key (never for a TCP peer): let it in.
      log.warn({ event: 'smtp.client.block-check-failed', err: error }, 'block check failed');
      callback();
    },
  );
}
