import type { RelayMetrics } from '@smtp-relay/observability';
import { decideRelay } from '@smtp-relay/policy';
import { asIngressReply } from '@smtp-relay/smtp-errors';
import type { SMTPServerAddress, SMTPServerSession } from 'smtp-server';
import type { ClientTrust } from '../client-trust.ts';
import type { SessionFilter } from '../filter/session-filter.ts';
import { refuse, replyFor } from '../reply.ts';
import type { SessionStates } from '../session-state.ts';

export interface OnRcptToDependencies {
  readonly sessions: SessionStates;
  readonly metrics: RelayMetrics;
  /** SMTP_RELAY_NETWORKS, per session (a PROXY LOCAL/UNKNOWN session never is one). */
  readonly isRelayClient: ClientTrust['isRelayClient'];
  readonly cameWithoutClientAddress: ClientTrust['cameWithoutClientAddress'];
  readonly authOffered: boolean;
  /** SMTP_FILTER_FILE's R rules, applied to each recipient before the relay decision. */
  readonly filter?: SessionFilter | undefined;
}

/**
 * Relay permission is decided per recipient, as Postfix does (smtpd_delay_reject),
 * after SMTP_FILTER_FILE's R rules (which apply to every client, trusted or not).
 */
export function createOnRcptTo(deps: OnRcptToDependencies) {
  const relay = (
    address: SMTPServerAddress,
    session: SMTPServerSession,
    callback: (error?: Error | null) => void,
  ): void => {
    const state = deps.sessions.get(session);
    const decision = decideRelay({
      authenticatedUser: authenticatedUser(session),
      fromRelayNetwork: deps.isRelayClient(session),
      authOffered: deps.authOffered,
    });
    if (decision.accept) {
      callback();
      return;
    }
    state?.log.warn(
      {
        event: 'message.noqueue',
        reason: decision.reason,
        smtpCode: decision.reply.code,
        enhancedCode: decision.reply.enhanced,
        from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
        to: address.address,
        helo: session.hostNameAppearsAs,
        // Why the proxy's address, in the relay networks, did not count here.
        ...(deps.cameWithoutClientAddress(session.id) ? { proxyWithoutClientAddress: true } : {}),
      },
      'relay refused',
    );
    callback(refuse(deps.metrics, 'rcpt', asIngressReply(decision.reply, decision.reason)));
  };
  const filter = deps.filter;
  if (filter === undefined) return relay;
  return (
    address: SMTPServerAddress,
    session: SMTPServerSession,
    callback: (error?: Error | null) => void,
  ): void => {
    filter.check({ type: 'R', value: address.address }, session).then(
      (reply) => {
        if (reply === undefined) {
          relay(address, session, callback);
          return;
        }
        callback(refuse(deps.metrics, 'rcpt', reply));
      },
      (error: unknown) => {
        callback(refuse(deps.metrics, 'rcpt', replyFor(error)));
      },
    );
  };
}

export function authenticatedUser(session: SMTPServerSession): string | undefined {
  const user: unknown = session.user;
  return typeof user === 'string' && user !== '' ? user : undefined;
}
