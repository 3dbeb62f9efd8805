import type { Logger } from '@smtp-relay/observability';
import { asIngressReply, INGRESS_REPLIES } from '@smtp-relay/smtp-errors';
import type { SMTPServerSession } from 'smtp-server';
import { refuse, type ReplyMetrics } from '../reply.ts';
import type { AbuseProtection } from './abuse-protection.ts';
import { blockAnswer } from './block-answers.ts';
import { logLimited } from './log-limiter.ts';

export interface AdmitClientDependencies {
  readonly abuse: Pick<AbuseProtection, 'connections' | 'blocking' | 'refusalLog'>;
  readonly metrics: ReplyMetrics;
  /** SMTP_RELAY_NETWORKS, for this session. */
  readonly isRelayClient: (session: SMTPServerSession) => boolean;
}

/**
 * The connection-time half of docs/reference.md "Abuse protection": more than
 * SMTP_MAX_CLIENTS_PER_IP connections from one address, or an address that is
 * blocked (AUTH failures on any replica, a filter rule with the S flag), get
 * `421 4.7.0` before the greeting, so a blocked client never reaches AUTH; except
 * an address blocked for AUTH failures that is in SMTP_RELAY_NETWORKS, which is
 * let in and refused at AUTH only (block-answers.ts). The cap is checked first: it
 * costs no Redis round trip, and it bounds how many block look-ups one address
 * can cause at once. A client refused in a loop is counted each time but logged
 * once a minute at most.
 */
export function admitClient(
  deps: AdmitClientDependencies,
  session: SMTPServerSession,
  address: string,
  log: Logger,
  callback: (error?: Error | null) => void,
): void {
  const { abuse } = deps;
  if (!abuse.connections.open(session.id, address)) {
    logLimited(
      abuse.refusalLog,
      log,
      address,
      { event: 'smtp.client.connection-limit', connections: abuse.connections.count(address) },
      'too many connections from this address',
    );
    callback(refuse(deps.metrics, 'connect', INGRESS_REPLIES.tooManyConnectionsFromAddress));
    return;
  }
  abuse.blocking.checkOnConnect(address).then(
    (block) => {
      if (block === undefined) {
        callback();
        return;
      }
      const fields = { reason: block.reason, until: new Date(block.until).toISOString() };
      const refusal = blockAnswer(block.reason, deps.isRelayClient(session)).connect;
      if (refusal === undefined) {
        logLimited(
          abuse.refusalLog,
          log,
          address,
          { event: 'smtp.client.block-relay-network', ...fields },
          'blocked address let in: it is in SMTP_RELAY_NETWORKS, so it may relay ' +
            'without AUTH; its AUTH is refused until the block ends',
        );
        callback();
        return;
      }
      logLimited(
        abuse.refusalLog,
        log,
        address,
        { event: 'smtp.client.block-refused', ...fields },
        'connection from a blocked address refused',
      );
      // Counted as blocked-auth or blocked-filter (README "Metrics").
      callback(refuse(deps.metrics, 'connect', asIngressReply(refusal, 'blocked'), block.reason));
    },
    (error: unknown) => {
      // Not an address the store knows how to key (never for a TCP peer): let it in.
      log.warn({ event: 'smtp.client.block-check-failed', err: error }, 'block check failed');
      callback();
    },
  );
}
