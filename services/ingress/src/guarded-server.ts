import type net from 'node:net';
import type { SMTPServerSession } from 'smtp-server';
import type { ClientIdentity } from './client-trust.ts';
import { createPendingHandshakes, type PendingHandshakes } from './pending-handshakes.ts';
import { readProxyHandshake } from './proxy-handshake.ts';
import type { SlowClientViolation } from './slow-client-guard.ts';
import type { PendingSocket, PreSessionGuard, ProxyOutcome } from './smtp-server-adapter/index.ts';

/** Abuse protection of docs/reference.md "Abuse protection (ingress)" that lives at the socket. */
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

interface ProxyGuard {
  readonly isTrustedPeer: (address: string) => boolean;
  /**
   * The header carried no client address (v2 LOCAL, v1 UNKNOWN): the session
   * keeps the proxy's address but is never trusted. Returns what forgets it.
   */
  readonly withoutClientAddress: (sessionId: string, peer: string) => () => void;
}

interface SessionGuardEvents {
  tooSlow(session: SMTPServerSession, violation: SlowClientViolation): void;
  tooManyRefusals(session: SMTPServerSession, refused: number): void;
  /** `peerLeft`: the peer closed before sending a header (e.g. a TCP health check). */
  proxyRefused(peer: string, reason: string, peerLeft: boolean): void;
  /** A TLS handshake dropped: the peer already has `pending` of them in progress. */
  tooManyHandshakes(peer: string, pending: number): void;
}

const NOTHING_TO_RELEASE = (): void => undefined;

/**
 * The socket-level guards before a session starts (docs/adr/009): PROXY
 * protocol v1 and v2 (smtp-server's own `useProxy` reads v1 only and trusts
 * single addresses, not CIDRs), a deadline for everything before the session
 * starts, and a per-address cap on implicit-TLS handshakes in progress.
 * smtp-server's pre-session guard is an idle timer that each byte restarts, so
 * a PROXY header or an implicit-TLS handshake trickled in byte by byte held a
 * slot forever; and its maxClients counts those sockets for all peers
 * together, so one address could hold them all. The adapter calls this for
 * every accepted socket.
 */
export function createPreSessionGuard(guards: SessionGuards): PreSessionGuard {
  const handshakes = createPendingHandshakes(guards.maxPendingPerPeer);
  const proxy = guards.proxy;
  return {
    accept(pending) {
      return acceptSocket(guards, handshakes, pending);
    },
    readProxyHeader:
      proxy &&
      ((socket, outcome) => {
        readProxyHeader(proxy, guards.events, socket, outcome);
      }),
  };
}

function acceptSocket(
  guards: SessionGuards,
  handshakes: PendingHandshakes,
  pending: PendingSocket,
): (() => void) | false {
  const { socket, tlsHandshake } = pending;
  if (!tlsHandshake && !guards.proxy) return pending.admitByLibrary();
  // Behind a proxy the peer is the proxy, which carries many clients: those
  // are capped per carried address once their session starts (onConnect).
  const releasePeer =
    tlsHandshake && !guards.proxy ? admitHandshake(guards, handshakes, socket) : undefined;
  if (releasePeer === false) return false;
  const release = pending.admitByLibrary();
  if (release === false) {
    releasePeer?.();
    return false;
  }
  const deadline = setTimeout(() => {
    const top = pending.topmost();
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
  pending.stopLibraryIdleTimer();
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
function admitHandshake(
  guards: SessionGuards,
  handshakes: PendingHandshakes,
  socket: net.Socket,
): (() => void) | false {
  const peer = socket.remoteAddress;
  // No address: the socket closed before it could be accepted, nothing to count.
  if (peer === undefined) return NOTHING_TO_RELEASE;
  const release = handshakes.admit(peer);
  if (release !== undefined) return release;
  guards.events.tooManyHandshakes(peer, handshakes.count(peer));
  socket.on('error', () => undefined);
  socket.destroy();
  return false;
}

function readProxyHeader(
  proxy: ProxyGuard,
  events: SessionGuardEvents,
  socket: net.Socket,
  outcome: ProxyOutcome,
): void {
  const peer = socket.remoteAddress ?? '';
  const refuse = (reason: string, peerLeft = false): void => {
    events.proxyRefused(peer, reason, peerLeft);
    outcome.drop(reason);
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
    if (source === undefined) {
      // Recorded before smtp-server sees the session, so that onConnect
      // already knows; forgotten with the connection (the raw socket closes
      // with the TLS socket on top of it too).
      const forget = proxy.withoutClientAddress(outcome.sessionId, peer);
      if (socket.closed) forget();
      else socket.once('close', forget);
    }
    outcome.start(source);
  });
}
