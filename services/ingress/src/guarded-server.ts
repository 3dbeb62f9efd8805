import { randomBytes } from 'node:crypto';
import type net from 'node:net';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import type { SMTPConnectionOptions } from 'smtp-server/lib/smtp-connection.js';
import type { ClientIdentity } from './client-trust.ts';
import { createPendingHandshakes, type PendingHandshakes } from './pending-handshakes.ts';
import { readProxyHandshake } from './proxy-handshake.ts';
import type { SlowClientViolation } from './slow-client-guard.ts';

/** Abuse protection of SPEC "Abuse protection (ingress)" that lives at the socket. */
export interface SessionGuards {
  /** SMTP_SOCKET_TIMEOUT: command line, TLS handshake, PROXY header and DATA window. */
  readonly socketTimeoutMs: number;
  /** DATA must move at least this much per socketTimeoutMs (1 KiB). */
  readonly minDataBytes: number;
  /** Refused or unknown commands an untrusted, unauthenticated session may send (10). */
  readonly maxRefusedCommands: number;
  /** SMTP_RELAY_NETWORKS (client-trust.ts): such clients are exempt from the refused-command limit. */
  readonly isTrustedClient: (client: ClientIdentity) => boolean;
  /** SMTP_MAX_CLIENTS_PER_IP, also for implicit-TLS handshakes before the session starts. */
  readonly maxPendingPerPeer: number;
  /** SMTP_PROXY_PROTOCOL on: every peer must be a trusted proxy and send a header. */
  readonly proxy: ProxyGuard | undefined;
  readonly events: SessionGuardEvents;
}

export interface ProxyGuard {
  readonly isTrustedPeer: (address: string) => boolean;
  /**
   * The header carried no client address (v2 LOCAL, v1 UNKNOWN): the session
   * keeps the proxy's address but is never trusted. Returns what forgets it.
   */
  readonly withoutClientAddress: (sessionId: string, peer: string) => () => void;
}

export interface SessionGuardEvents {
  tooSlow(session: SMTPServerSession, violation: SlowClientViolation): void;
  tooManyRefusals(session: SMTPServerSession, refused: number): void;
  /** `peerLeft`: the peer closed before sending a header (e.g. a TCP health check). */
  proxyRefused(peer: string, reason: string, peerLeft: boolean): void;
  /** A TLS handshake dropped: the peer already has `pending` of them in progress. */
  tooManyHandshakes(peer: string, pending: number): void;
}

type SocketOptions = SMTPConnectionOptions & { id: string };

const NOTHING_TO_RELEASE = (): void => undefined;

/** The session id smtp-server would have given (same format, for log correlation). */
function newSessionId(): string {
  return BigInt('0x' + randomBytes(10).toString('hex'))
    .toString(32)
    .padStart(16, '0');
}

/**
 * smtp-server with the socket-level guards: PROXY protocol v1 and v2 (smtp-server's
 * own `useProxy` reads v1 only and trusts single addresses, not CIDRs), a
 * deadline for everything before the session starts, and a per-address cap on
 * implicit-TLS handshakes in progress. smtp-server's pre-session guard is an
 * idle timer that each byte restarts, so a PROXY header or an implicit-TLS
 * handshake trickled in byte by byte held a slot forever; and its maxClients
 * counts those sockets for all peers together, so one address could hold them all.
 * Overrides three methods of the pinned smtp-server 3.21 (ADRs 004, 009).
 */
export class GuardedSmtpServer extends SMTPServer {
  readonly guards: SessionGuards | undefined;
  readonly #handshakes: PendingHandshakes | undefined;

  constructor(options?: SMTPServerOptions | null, guards?: SessionGuards) {
    super(options);
    this.guards = guards;
    this.#handshakes = guards && createPendingHandshakes(guards.maxPendingPerPeer);
  }

  override _expectsProxyHeader(socket: net.Socket): boolean {
    // With PROXY protocol on, every peer goes through _handleProxy, where the
    // untrusted ones are refused.
    return this.guards?.proxy !== undefined || super._expectsProxyHeader(socket);
  }

  override _acceptSocket(socket: net.Socket, handshake: boolean): (() => void) | false {
    const guards = this.guards;
    if (guards === undefined || (!handshake && !guards.proxy)) {
      return super._acceptSocket(socket, handshake);
    }
    // Behind a proxy the peer is the proxy, which carries many clients: those
    // are capped per carried address once their session starts (onConnect).
    const releasePeer = handshake && !guards.proxy ? this.#admitHandshake(socket) : undefined;
    if (releasePeer === false) return false;
    const release = super._acceptSocket(socket, handshake);
    if (release === false) {
      releasePeer?.();
      return false;
    }
    const deadline = setTimeout(() => {
      // The topmost socket: tearing a TLS wrap down from below mid-handshake
      // crashes Node (smtp-server's close() does the same).
      const top = this._pendingSockets.get(socket) ?? socket;
      const waitingForHeader = guards.proxy !== undefined && top === socket;
      top.destroy(
        waitingForHeader
          ? new Error(`no PROXY header within ${String(guards.socketTimeoutMs)} ms`)
          : undefined,
      );
    }, guards.socketTimeoutMs);
    deadline.unref();
    // smtp-server's idle timer would fire at the same moment at the earliest;
    // without it, the reason logged for a silent peer is ours.
    socket.setTimeout(0);
    socket.once('close', () => {
      clearTimeout(deadline);
      releasePeer?.();
    });
    return () => {
      clearTimeout(deadline);
      releasePeer?.();
      release();
    };
  }

  /**
   * Counts an implicit-TLS handshake against its peer address; false: the peer
   * is at SMTP_MAX_CLIENTS_PER_IP and the socket is gone. Nothing can be said
   * before TLS, so there is no 421: the socket is just closed.
   */
  #admitHandshake(socket: net.Socket): (() => void) | false {
    const peer = socket.remoteAddress;
    const handshakes = this.#handshakes;
    // No address: the socket closed before it could be accepted, nothing to count.
    if (peer === undefined || handshakes === undefined) return NOTHING_TO_RELEASE;
    const release = handshakes.admit(peer);
    if (release !== undefined) return release;
    this.guards?.events.tooManyHandshakes(peer, handshakes.count(peer));
    socket.on('error', () => undefined);
    socket.destroy();
    return false;
  }

  override _handleProxy(
    socket: net.Socket,
    callback: (err: Error | null, socketOptions?: SocketOptions) => void,
  ): void {
    const proxy = this.guards?.proxy;
    const events = this.guards?.events;
    if (proxy === undefined || events === undefined) {
      super._handleProxy(socket, callback);
      return;
    }
    const peer = socket.remoteAddress ?? '';
    const refuse = (reason: string, peerLeft = false): void => {
      events.proxyRefused(peer, reason, peerLeft);
      callback(new Error(`PROXY protocol: ${reason}`));
    };
    if (!proxy.isTrustedPeer(peer)) {
      socket.on('error', () => undefined);
      socket.destroy();
      refuse('peer not in SMTP_PROXY_TRUSTED');
      return;
    }
    readProxyHandshake(socket, (result) => {
      if (!result.ok) {
        refuse(result.reason, result.peerLeft);
        return;
      }
      const { source } = result;
      const id = newSessionId();
      if (source === undefined) {
        // Recorded before smtp-server sees the session, so that onConnect
        // already knows; forgotten with the connection (the raw socket closes
        // with the TLS socket on top of it too).
        const forget = proxy.withoutClientAddress(id, peer);
        if (socket.closed) forget();
        else socket.once('close', forget);
      }
      callback(null, {
        id,
        ...(source ? { remoteAddress: source.address, remotePort: source.port } : {}),
      });
    });
  }
}
