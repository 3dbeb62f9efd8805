import { SMTPServer } from 'smtp-server';
import { startRestartableServer } from '../restartable-server.ts';
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
  const server = await startRestartableServer({
    name: 'Fake smart host',
    port: options.port ?? 0,
    create: () => {
      const created = new SMTPServer(serverOptions);
      // smtp-server re-emits every connection error; without a listener it would crash.
      created.on('error', (error) => {
        recorder.addEvent({ type: 'error', message: error.message, sessionId: '', at: new Date() });
      });
      return created;
    },
    netServer: (created) => created.server,
    onStop: () => {
      pending.cancelAll();
    },
  });

  return {
    port: server.port,
    messages: recorder.messages,
    events: recorder.events,
    get listening() {
      return server.listening;
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
    ...server.lifecycle,
  };
}
