import type { Logger } from '@smtp-relay/observability';
import type { SMTPServerSession } from 'smtp-server';
import type { SessionGuards } from './guarded-server.ts';
import { displayAddress } from './received-header.ts';
import type { SessionStates } from './session-state.ts';

export interface SessionGuardDependencies {
  readonly logger: Logger;
  readonly sessions: SessionStates;
  readonly socketTimeoutMs: number;
  readonly isRelayNetwork: (address: string) => boolean;
  /** SMTP_PROXY_TRUSTED; undefined while SMTP_PROXY_PROTOCOL is off. */
  readonly isTrustedProxy: ((address: string) => boolean) | undefined;
}

/** SPEC: "DATA must move at least 1 KiB per SMTP_SOCKET_TIMEOUT". */
const MIN_DATA_BYTES = 1024;
/** SPEC: "closed with 421 4.7.0 after 10 refused or unknown commands". */
const MAX_REFUSED_COMMANDS = 10;

/**
 * The socket-level guards with their log lines: one line per closed session,
 * never one per refused command (a client could otherwise fill the log).
 */
export function createSessionGuards(deps: SessionGuardDependencies): SessionGuards {
  const logFor = (session: SMTPServerSession): Logger =>
    deps.sessions.get(session)?.log ??
    deps.logger.child({ sessionId: session.id, client: displayAddress(session.remoteAddress) });
  return {
    socketTimeoutMs: deps.socketTimeoutMs,
    minDataBytes: MIN_DATA_BYTES,
    maxRefusedCommands: MAX_REFUSED_COMMANDS,
    isTrustedClient: deps.isRelayNetwork,
    proxy: deps.isTrustedProxy ? { isTrustedPeer: deps.isTrustedProxy } : undefined,
    events: {
      tooSlow(session, violation) {
        logFor(session).info(
          {
            event: 'smtp.session.too-slow',
            reason: violation,
            // Nothing can be said in the middle of a TLS handshake.
            ...(violation === 'tls-handshake' ? {} : { smtpCode: 421, enhancedCode: '4.4.2' }),
            timeoutMs: deps.socketTimeoutMs,
          },
          'client too slow, connection closed',
        );
      },
      tooManyRefusals(session, refused) {
        logFor(session).info(
          {
            event: 'smtp.session.too-many-refusals',
            refused,
            smtpCode: 421,
            enhancedCode: '4.7.0',
          },
          'too many refused commands, connection closed',
        );
      },
      proxyRefused(peer, reason, peerLeft) {
        // A load balancer's TCP health check connects and leaves: not news.
        // Everything else is, e.g. a proxy that sends no header at all.
        deps.logger[peerLeft ? 'debug' : 'info'](
          { event: 'smtp.proxy.refused', peer: displayAddress(peer), reason },
          'PROXY protocol connection refused',
        );
      },
    },
  };
}
