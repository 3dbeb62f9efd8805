import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createSecureContext, createServer as createTlsServer } from 'node:tls';
import { Pop3Recorder } from './recorder.ts';
import { startPop3Session, type SessionContext } from './pop3-session.ts';
import type { FakePop3Server, FakePop3ServerOptions } from './types.ts';

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      const address = server.address();
      if (address === null || typeof address === 'string') {
        reject(new Error(`Fake POP3 server: unexpected address ${String(address)}`));
        return;
      }
      resolve(address.port);
    });
  });
}

/**
 * A POP3 server on 127.0.0.1 that takes USER/PASS for the configured users and
 * remembers who logged in from where and when: the other half of a
 * POP-before-SMTP smart host (startFakeSmartHost's `requirePop3Login`).
 */
export async function startFakePop3Server(options: FakePop3ServerOptions): Promise<FakePop3Server> {
  if (options.tls !== 'none' && options.certificate === undefined) {
    throw new Error(`Fake POP3 server: tls '${options.tls}' needs options.certificate`);
  }
  const secureContext =
    options.certificate === undefined ? undefined : createSecureContext(options.certificate);
  const recorder = new Pop3Recorder();
  let users = { ...options.users };
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const context: SessionContext = {
    mode: options.tls,
    secureContext,
    users: () => users,
    recorder,
    track,
  };
  let server: Server | undefined;

  const open = async (port: number): Promise<number> => {
    const created =
      options.tls === 'implicit'
        ? createTlsServer({ ...options.certificate }, (socket) => {
            startPop3Session(socket, true, context);
          })
        : createTcpServer((socket) => {
            startPop3Session(socket, false, context);
          });
    // Tracked at the TCP level so stop() also drops connections still in a TLS handshake.
    created.on('connection', track);
    const bound = await listen(created, port);
    server = created;
    return bound;
  };

  const stop = async (): Promise<void> => {
    const current = server;
    if (current === undefined) return;
    server = undefined;
    const closed = new Promise<void>((resolve) => {
      current.close(() => {
        resolve();
      });
    });
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await closed;
  };

  const port = await open(options.port ?? 0);

  return {
    port,
    logins: recorder.logins,
    attempts: recorder.attempts,
    commands: recorder.commands,
    get listening() {
      return server !== undefined;
    },
    setUsers(next) {
      users = { ...next };
    },
    waitForLogins: (count, timeoutMs = 10_000) =>
      recorder.waitFor(
        () => (recorder.logins.length >= count ? [...recorder.logins] : undefined),
        timeoutMs,
        `${String(count)} login(s)`,
      ),
    waitForAttempts: (count, timeoutMs = 10_000) =>
      recorder.waitFor(
        () => (recorder.attempts.length >= count ? [...recorder.attempts] : undefined),
        timeoutMs,
        `${String(count)} PASS attempt(s)`,
      ),
    describe: () => recorder.describe(),
    reset() {
      recorder.reset();
    },
    stop,
    async start() {
      if (server === undefined) await open(port);
    },
    close: stop,
  };
}
