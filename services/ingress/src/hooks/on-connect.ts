import type { Logger, RelayMetrics } from '@smtp-relay/observability';
import { INGRESS_REPLIES } from '@smtp-relay/smtp-errors';
import type { SMTPServerSession } from 'smtp-server';
import type { AbuseProtection } from '../abuse/abuse-protection.ts';
import { admitClient } from '../abuse/admit-client.ts';
import { displayAddress } from '../received-header.ts';
import { refuse } from '../reply.ts';
import type { SessionStates } from '../session-state.ts';
import type { AuthVisibility } from '../auth-visibility.ts';

export interface OnConnectDependencies {
  readonly logger: Logger;
  readonly metrics: RelayMetrics;
  readonly sessions: SessionStates;
  readonly authVisibility: AuthVisibility;
  readonly isShuttingDown: () => boolean;
  /** SMTP_MAX_CLIENTS_PER_IP and blocked addresses: 421 before the greeting. */
  readonly abuse: Pick<AbuseProtection, 'connections' | 'blocking' | 'refusalLog'>;
  /** SMTP_RELAY_NETWORKS, per session: such a client blocked for AUTH failures is let in. */
  readonly isRelayClient: (session: SMTPServerSession) => boolean;
}

export function createOnConnect(deps: OnConnectDependencies) {
  return (session: SMTPServerSession, callback: (error?: Error | null) => void): void => {
    // During a graceful stop the listener still answers, with 421, so clients
    // retry elsewhere instead of timing out against a closed port.
    if (deps.isShuttingDown()) {
      callback(refuse(deps.metrics, 'connect', INGRESS_REPLIES.shuttingDown));
      return;
    }
    const clientAddress = displayAddress(session.remoteAddress);
    const log = deps.logger.child({ sessionId: session.id, client: clientAddress });
    deps.sessions.set(session, { log, clientAddress, authFailures: 0 });
    deps.authVisibility.apply(session);
    log.debug({ event: 'smtp.session.open', secure: session.secure }, 'connection');
    admitClient(deps, session, clientAddress, log, callback);
  };
}
