import type { Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { SmartHostRecorder } from './recorder.ts';
import { PendingReplies } from './pending-replies.ts';
import { buildServerOptions, type SmartHostState } from './server-options.ts';
import type {
  FakeSmartHostEvent,
  FakeSmartHostOptions,
  FakeSmartHostScript,
  ReceivedMessage,
} from './types.ts';

export interface FakeSmartHost {
  readonly port: number;
  /** Accepted messages, oldest first; a live array (reset() empties it in place). */
  readonly messages: readonly ReceivedMessage[];
  /** Every connection, TLS upgrade, AUTH, MAIL, RCPT and DATA outcome, in order. */
  readonly events: readonly FakeSmartHostEvent[];
  /** False between stop() and start(). */
  readonly listening: boolean;
  /** Replaces the script; applies to the next command of every connection. */
  setScript(script: FakeSmartHostScript): void;
  /** Delays the end-of-DATA reply (and, with everyCommand, greeting/AUTH/MAIL/RCPT). */
  setSlow(ms: number, options?: { everyCommand?: boolean }): void;
  /** Resolves once at least `count` messages were accepted; rejects listing what arrived. */
  waitForMessages(count: number, timeoutMs?: number): Promise<ReceivedMessage[]>;
  waitForEvent(
    predicate: (event: FakeSmartHostEvent) => boolean,
    timeoutMs?: number,
  ): Promise<FakeSmartHostEvent>;
  /** A summary of messages and recent events, for assertion messages. */
  describe(): string;
  /** Clears messages and events. */
  reset(): void;
  /** Outage: stops listening and drops open connections; the port is kept for start(). */
  stop(): Promise<void>;
  /** Recovery: listens again on the same port. */
  start(): Promise<void>;
  /** Stops for good (same as stop(); the name says the test is done with it). */
  close(): Promise<void>;
}

function listen(server: SMTPServer, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      const address = server.server.address();
      if (address === null || typeof address === 'string') {
        reject(new Error(`Fake smart host: unexpected address ${String(address)}`));
        return;
      }
      resolve(address.port);
    });
  });
}

/** A scripted SMTP server on 127.0.0.1 standing in for the relay's smart host. */
export async function startFakeSmartHost(options: FakeSmartHostOptions): Promise<FakeSmartHost> {
  const recorder = new SmartHostRecorder();
  const pending = new PendingReplies();
  const state: SmartHostState = {
    script: options.script ?? {},
    slowMs: options.slowMs ?? 0,
    slowEveryCommand: options.slowEveryCommand ?? false,
  };
  // Built once, so a configuration error surfaces here and not on restart.
  const serverOptions = buildServerOptions(options, state, recorder, pending);
  const sockets = new Set<Socket>();
  let server: SMTPServer | undefined;

  const open = async (port: number): Promise<number> => {
    const created = new SMTPServer(serverOptions);
    // smtp-server re-emits every connection error; without a listener it would crash.
    created.on('error', (error) => {
      recorder.addEvent({ type: 'error', message: error.message, sessionId: '', at: new Date() });
    });
    // Tracked at the TCP level so stop() can drop connections still in a TLS handshake.
    created.server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    const bound = await listen(created, port);
    server = created;
    return bound;
  };

  const stop = async (): Promise<void> => {
    const current = server;
    if (current === undefined) return;
    server = undefined;
    pending.cancelAll();
    // smtp-server's close() waits up to closeTimeout for sessions; an outage does not.
    const closed = new Promise<void>((resolve) => {
      current.close(resolve);
    });
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await closed;
  };

  const port = await open(options.port ?? 0);

  return {
    port,
    messages: recorder.messages,
    events: recorder.events,
    get listening() {
      return server !== undefined;
    },
    setScript(script) {
      state.script = script;
    },
    setSlow(ms, slowOptions = {}) {
      state.slowMs = ms;
      state.slowEveryCommand = slowOptions.everyCommand ?? false;
    },
    waitForMessages: (count, timeoutMs) => recorder.waitForMessages(count, timeoutMs),
    waitForEvent: (predicate, timeoutMs) => recorder.waitForEvent(predicate, timeoutMs),
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
