import type { Server as NetServer, Socket } from 'node:net';

// The listen/stop/start shell the fakes share (POP3 server, OAuth2 server, smart
// host): listen on 127.0.0.1, an outage that stops listening and drops open
// connections, and a recovery that listens again on the same port.

/** What the shell needs of the server a fake builds: a net.Server, or smtp-server's SMTPServer. */
interface Listenable {
  listen(port: number, hostname: string, listeningListener: () => void): unknown;
  once(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
  close(callback: () => void): unknown;
}

interface RestartableServerOptions<S extends Listenable> {
  /** `Fake POP3 server`, naming the fake in its errors. */
  readonly name: string;
  /** The first port to listen on; 0 for a free one. */
  readonly port: number;
  /**
   * A new server, its handlers registered, for each start. `track` hands stop() a
   * socket to destroy beyond the TCP connections it tracks already (a TLS upgrade).
   */
  readonly create: (track: (socket: Socket) => void) => S;
  /** The net.Server under it (the server itself, or SMTPServer's `server`): its connections and address. */
  readonly netServer: (server: S) => NetServer;
  /** Called as stop() begins, before the server closes. */
  readonly onStop?: () => void;
}

/** The outage and recovery controls every fake hands out, to spread into its handle. */
interface Lifecycle {
  /** Outage: stops listening and drops open connections. */
  readonly stop: () => Promise<void>;
  /** Recovery: listens again on the same port. */
  readonly start: () => Promise<void>;
  /** Stops for good (same as stop(); the name says the test is done with it). */
  readonly close: () => Promise<void>;
}

interface RestartableServer {
  /** The port listened on, kept for start(). */
  readonly port: number;
  /** False between stop() and start(). */
  readonly listening: boolean;
  readonly lifecycle: Lifecycle;
}

/** Builds a server with `create` and has it listen on 127.0.0.1; stop() and start() from then on. */
export async function startRestartableServer<S extends Listenable>(
  options: RestartableServerOptions<S>,
): Promise<RestartableServer> {
  const { netServer } = options;
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  let server: S | undefined;

  const listen = (created: S, port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      created.once('error', reject);
      created.listen(port, '127.0.0.1', () => {
        created.off('error', reject);
        const address = netServer(created).address();
        if (address === null || typeof address === 'string') {
          reject(new Error(`${options.name}: unexpected address ${String(address)}`));
          return;
        }
        resolve(address.port);
      });
    });

  const open = async (port: number): Promise<number> => {
    const created = options.create(track);
    // Tracked at the TCP level so stop() also drops connections still in a TLS
    // handshake, and keep-alive ones.
    netServer(created).on('connection', track);
    const bound = await listen(created, port);
    server = created;
    return bound;
  };

  const stop = async (): Promise<void> => {
    const current = server;
    if (current === undefined) return;
    server = undefined;
    options.onStop?.();
    // close() waits for open connections (smtp-server's up to closeTimeout); an outage does not.
    const closed = new Promise<void>((resolve) => {
      current.close(() => {
        resolve();
      });
    });
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await closed;
  };

  const port = await open(options.port);
  return {
    port,
    get listening() {
      return server !== undefined;
    },
    lifecycle: {
      stop,
      start: async () => {
        if (server === undefined) await open(port);
      },
      close: stop,
    },
  };
}
