import { performance } from 'node:perf_hooks';
import type { Logger } from '@smtp-relay/observability';
import { INGRESS_REPLIES } from '@smtp-relay/smtp-errors';
import type { SMTPServerSession } from 'smtp-server';
import type { ClientTrust } from './client-trust.ts';
import type { SessionGuards } from './guarded-server.ts';
import { displayAddress } from './received-header.ts';
import { countReply, type ReplyMetrics } from './reply.ts';
import type { SessionStates } from './session-state.ts';

export interface SessionGuardDependencies {
  readonly logger: Logger;
  /** The 421s these guards give are counted like every other reply (reply.ts). */
  readonly metrics: ReplyMetrics;
  readonly sessions: SessionStates;
  readonly socketTimeoutMs: number;
  /** SMTP_MAX_CLIENTS_PER_IP: also caps implicit-TLS handshakes in progress per address. */
  readonly maxClientsPerIp: number;
  /** SMTP_RELAY_NETWORKS per session; records sessions proxied without a client address. */
  readonly trust: ClientTrust;
  /** SMTP_PROXY_TRUSTED; undefined while SMTP_PROXY_PROTOCOL is off. */
  readonly isTrustedProxy: ((address: string) => boolean) | undefined;
}

/** docs/reference.md: "DATA must move at least 1 KiB per SMTP_SOCKET_TIMEOUT". */
const MIN_DATA_BYTES = 1024;
/** docs/reference.md: "closed with 421 4.7.0 after 10 refused or unknown commands". */
const MAX_REFUSED_COMMANDS = 10;
/**
 * One info line per listener per minute at most for dropped handshakes (the
 * rest at debug): an address hammering the SMTPS port must not fill the log.
 */
const HANDSHAKE_LOG_INTERVAL_MS = 60_000;

/**
 * The socket-level guards with their log lines: one line per closed session,
 * never one per refused command (a client could otherwise fill the log).
 */
export function createSessionGuards(deps: SessionGuardDependencies): SessionGuards {
  const { trust } = deps;
  const logFor = (session: SMTPServerSession): Logger =>
    deps.sessions.get(session)?.log ??
    deps.logger.child({ sessionId: session.id, client: displayAddress(session.remoteAddress) });
  /** Says why the proxy's own (trusted) address was not trusted in this session. */
  const proxyFields = (session: SMTPServerSession): object =>
    trust.cameWithoutClientAddress(session.id) ? { proxyWithoutClientAddress: true } : {};
  let handshakeLineAt = Number.NEGATIVE_INFINITY;
  let handshakesDroppedQuietly = 0;
  const isTrustedProxy = deps.isTrustedProxy;
  return {
    socketTimeoutMs: deps.socketTimeoutMs,
    minDataBytes: MIN_DATA_BYTES,
    maxRefusedCommands: MAX_REFUSED_COMMANDS,
    isTrustedClient: trust.isRelayClient,
    maxPendingPerPeer: deps.maxClientsPerIp,
    proxy: isTrustedProxy
      ? {
          isTrustedPeer: isTrustedProxy,
          withoutClientAddress(sessionId, peer) {
            // Debug: a load balancer's health check does this every few seconds.
            deps.logger.debug(
              { event: 'smtp.proxy.no-client-address', sessionId, peer: displayAddress(peer) },
              'PROXY header without a client address (LOCAL or UNKNOWN): ' +
                "the session has the proxy's address and is not trusted",
            );
            return trust.withoutClientAddress(sessionId);
          },
        }
      : undefined,
    events: {
      tooSlow(session, violation) {
        // Nothing can be said in the middle of a TLS handshake: no reply to count.
        if (violation !== 'tls-handshake') {
          const reply =
            violation === 'data-rate'
              ? INGRESS_REPLIES.dataTooSlow
              : INGRESS_REPLIES.commandTooSlow;
          countReply(deps.metrics, 'session', reply);
        }
        logFor(session).info(
          {
            event: 'smtp.session.too-slow',
            reason: violation,
            ...proxyFields(session),
            // Nothing can be said in the middle of a TLS handshake.
            ...(violation === 'tls-handshake' ? {} : { smtpCode: 421, enhancedCode: '4.4.2' }),
            timeoutMs: deps.socketTimeoutMs,
          },
          'client too slow, connection closed',
        );
      },
      tooManyRefusals(session, refused) {
        countReply(deps.metrics, 'session', INGRESS_REPLIES.tooManyRefusedCommands);
        logFor(session).info(
          {
            event: 'smtp.session.too-many-refusals',
            refused,
            ...proxyFields(session),
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
      tooManyHandshakes(peer, pending) {
        const now = performance.now();
        const loud = now - handshakeLineAt >= HANDSHAKE_LOG_INTERVAL_MS;
        const fields = {
          event: 'smtp.client.handshake-limit',
          peer: displayAddress(peer),
          pending,
          limit: deps.maxClientsPerIp,
        };
        if (!loud) {
          handshakesDroppedQuietly += 1;
          deps.logger.debug(fields, 'too many TLS handshakes from this address, connection closed');
          return;
        }
        deps.logger.info(
          { ...fields, droppedSinceLastLine: handshakesDroppedQuietly },
          'too many TLS handshakes from this address, connection closed',
        );
        handshakeLineAt = now;
        handshakesDroppedQuietly = 0;
      },
    },
  };
}
