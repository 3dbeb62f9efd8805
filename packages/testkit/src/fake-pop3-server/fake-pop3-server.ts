import { createServer as createTcpServer } from 'node:net';
import { createSecureContext, createServer as createTlsServer } from 'node:tls';
import { startRestartableServer } from '../restartable-server.ts';
import { Pop3Recorder } from './recorder.ts';
import { startPop3Session, type SessionContext } from './pop3-session.ts';
import type { FakePop3Server, FakePop3ServerOptions } from './types.ts';

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
  const server = await startRestartableServer({
    name: 'Fake POP3 server',
    port: options.port ?? 0,
    create: (track) => {
      const context: SessionContext = {
        mode: options.tls,
        secureContext,
        users: () => users,
        recorder,
        track,
      };
      return options.tls === 'implicit'
        ? createTlsServer({ ...options.certificate }, (socket) => {
            startPop3Session(socket, true, context);
          })
        : createTcpServer((socket) => {
            startPop3Session(socket, false, context);
          });
    },
    netServer: (created) => created,
  });

  return {
    port: server.port,
    logins: recorder.logins,
    attempts: recorder.attempts,
    commands: recorder.commands,
    get listening() {
      return server.listening;
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
    ...server.lifecycle,
  };
}
