import { randomBytes } from 'node:crypto';
import type net from 'node:net';
import type tls from 'node:tls';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import type { SMTPConnectionOptions } from 'smtp-server/lib/smtp-connection.js';
import { AdaptedConnection } from './adapted-connection.ts';
import type { ServerBehaviour } from './server-behaviour.ts';

type SocketOptions = SMTPConnectionOptions & { id: string };

/** A session id in smtp-server's own format, so log lines correlate either way. */
function newSessionId(): string {
  return BigInt('0x' + randomBytes(10).toString('hex'))
    .toString(32)
    .padStart(16, '0');
}

/**
 * smtp-server with our behaviour at its seams (docs/adr/004, docs/adr/009).
 * Follows the pinned version's internals: `connect` is where a connection is
 * made (the class is hard-coded there); every accepted socket goes through
 * `_acceptSocket` and then `_handleProxy`, the implicit-TLS handshake after
 * both; `_expectsProxyHeader` makes `_acceptSocket` hold the socket as pending;
 * `_pendingSockets` maps an accepted socket to the TLS socket on top of it.
 */
class AdaptedSmtpServer extends SMTPServer {
  readonly #behaviour: ServerBehaviour;

  constructor(options: SMTPServerOptions, behaviour: ServerBehaviour) {
    super(options);
    this.#behaviour = behaviour;
  }

  // The same steps as SMTPServer.connect, with our connection class.
  override connect(
    socket: net.Socket | tls.TLSSocket,
    socketOptions?: SMTPConnectionOptions | null,
  ): void {
    const connection = new AdaptedConnection(this, socket, socketOptions, this.#behaviour);
    this.connections.add(connection);
    connection.on('error', (error: Error) => {
      this._onError(error);
    });
    connection.on('connect', (data: Parameters<SMTPServer['_onClientConnect']>[0]) => {
      this._onClientConnect(data);
    });
    connection.init();
  }

  override _expectsProxyHeader(socket: net.Socket): boolean {
    return (
      this.#behaviour.preSession?.readProxyHeader !== undefined || super._expectsProxyHeader(socket)
    );
  }

  override _acceptSocket(socket: net.Socket, handshake: boolean): (() => void) | false {
    const guard = this.#behaviour.preSession;
    if (guard === undefined) return super._acceptSocket(socket, handshake);
    return guard.accept({
      socket,
      tlsHandshake: handshake,
      admitByLibrary: () => super._acceptSocket(socket, handshake),
      stopLibraryIdleTimer: () => {
        // The library's pre-session guard is the socket's own idle timeout.
        socket.setTimeout(0);
      },
      topmost: () => this._pendingSockets.get(socket) ?? socket,
    });
  }

  override _handleProxy(
    socket: net.Socket,
    callback: (err: Error | null, socketOptions?: SocketOptions) => void,
  ): void {
    const read = this.#behaviour.preSession?.readProxyHeader;
    if (read === undefined) {
      super._handleProxy(socket, callback);
      return;
    }
    const sessionId = newSessionId();
    read(socket, {
      sessionId,
      start(client) {
        // These options become the session's id, remoteAddress and remotePort.
        callback(null, {
          id: sessionId,
          ...(client ? { remoteAddress: client.address, remotePort: client.port } : {}),
        });
      },
      drop(reason) {
        callback(new Error(`PROXY protocol: ${reason}`));
      },
    });
  }
}

/** An smtp-server for one listener, with `behaviour` at its seams; never listens. */
export function createSmtpServer(
  options: SMTPServerOptions,
  behaviour: ServerBehaviour,
): SMTPServer {
  return new AdaptedSmtpServer(options, behaviour);
}
