import type net from 'node:net';
import type tls from 'node:tls';
import type { SMTPServer, SMTPServerEnvelope } from 'smtp-server';
import { SMTPConnection, type SMTPConnectionOptions } from 'smtp-server/lib/smtp-connection.js';
import type { SMTPStream } from 'smtp-server/lib/smtp-stream.js';
import type { ClientConnection, ConnectionWatcher, ServerBehaviour } from './server-behaviour.ts';

// The library's text for its own limit on unrecognized commands.
const UNRECOGNIZED_COMMAND_LIMIT = /too many unrecognized commands/i;

/**
 * smtp-server's connection with our behaviour at its seams (docs/adr/004,
 * docs/adr/009, docs/adr/013). Follows the pinned version's internals: `init`
 * (`_setListeners`, the maxClients 421, `connectionReady`); `send` is the one
 * place every reply is written; `handler_EHLO`/`handler_HELO` take the command
 * line; `upgrade` runs STARTTLS and replaces the parser; the parser's `_write`,
 * `startDataMode` and `_endDataMode`; `_handlerPending`, `_closing`, `_closed`.
 */
export class AdaptedConnection extends SMTPConnection {
  readonly #behaviour: ServerBehaviour;
  readonly #handle: ClientConnection;
  readonly #watcher: ConnectionWatcher | undefined;

  constructor(
    server: SMTPServer,
    socket: net.Socket | tls.TLSSocket,
    options: SMTPConnectionOptions | null | undefined,
    behaviour: ServerBehaviour,
  ) {
    super(server, socket, options);
    this.#behaviour = behaviour;
    this.#handle = clientConnectionOf(this, (code, text) => {
      super.send(code, text, false);
    });
    this.#watcher = behaviour.watchConnection?.(this.#handle);
    // The base constructor created the first parser; STARTTLS creates another.
    this.#watchParser();
  }

  /** Our view of a connection this adapter created; undefined for any other. */
  static handleOf(connection: SMTPConnection): ClientConnection | undefined {
    return #handle in connection ? connection.#handle : undefined;
  }

  /**
   * The library's init with our greeting delay instead of its fixed 100 ms
   * (docs/adr/013): `_setListeners` then the maxClients 421, then
   * `connectionReady` sends the greeting; until then `_ready` is false and a
   * command gets the library's early-talker 421.
   */
  override init(): void {
    this._setListeners(() => {
      const { maxClients } = this._server.options;
      if (maxClients && this._server.connections.size > maxClients) {
        this.send(421, this.name + ' Too many connected clients, try again in a moment', false);
        return;
      }
      const delayMs = this.#behaviour.greetingDelayMs ?? 0;
      if (delayMs <= 0) {
        this.connectionReady();
        return;
      }
      // Unref'd, as the library's: a pending greeting does not keep the process alive.
      setTimeout(() => {
        this.connectionReady();
      }, delayMs).unref();
    });
  }

  override send(code: number, data?: string | string[] | null, context?: string | false): void {
    const replacement = this.#watcher?.replacingReply({
      code,
      text: data,
      unrecognizedCommandLimit:
        code === 421 && typeof data === 'string' && UNRECOGNIZED_COMMAND_LIMIT.test(data),
    });
    if (replacement) {
      super.send(replacement.code, replacement.text, false);
      return;
    }
    // `false` is the library's "no enhanced code" context.
    const ownCode = typeof data === 'string' && this.#behaviour.hasOwnEnhancedCode(data);
    super.send(code, data, ownCode ? false : context);
  }

  override handler_EHLO(command: Buffer, callback: () => void): void {
    this.#beforeHelo(command, callback, () => {
      super.handler_EHLO(command, callback);
    });
  }

  override handler_HELO(command: Buffer, callback: () => void): void {
    this.#beforeHelo(command, callback, () => {
      super.handler_HELO(command, callback);
    });
  }

  override upgrade(callback: () => void, secureCallback?: () => void): void {
    const watcher = this.#watcher;
    if (!watcher) {
      super.upgrade(callback, secureCallback);
      return;
    }
    watcher.tlsHandshakeStarted();
    super.upgrade(callback, () => {
      watcher.tlsHandshakeEnded();
      secureCallback?.();
    });
    this.#watchParser();
  }

  override close(): void {
    this.#watcher?.closed();
    this.#behaviour.onSessionEnd?.(this.session);
    super.close();
  }

  override _onClose(): void {
    this.#watcher?.closed();
    this.#behaviour.onSessionEnd?.(this.session);
    super._onClose();
  }

  /**
   * The handler runs inside smtp-server's command dispatch: `callback` resumes
   * reading commands, and until it is called `_handlerPending` keeps the idle
   * timeout waiting, as for a hook.
   */
  #beforeHelo(command: Buffer, callback: () => void, answer: () => void): void {
    const onHelo = this.#behaviour.onHelo;
    if (onHelo === undefined) {
      answer();
      return;
    }
    const settle = (step: () => void): void => {
      try {
        step();
      } catch {
        callback();
      }
    };
    onHelo({
      line: command.toString('utf8').replace(/\r?\n$/, ''),
      session: this.session,
      proceed: () => {
        settle(answer);
      },
      refuse: (code, text) => {
        settle(() => {
          this.send(code, text);
          callback();
        });
      },
    });
  }

  #watchParser(): void {
    const watcher = this.#watcher;
    const parser = this._parser;
    if (!watcher || !parser) return;
    const write = parser._write.bind(parser);
    parser._write = (chunk, encoding, next) => {
      // A retired parser (after STARTTLS or close) drains without dispatching.
      if (!parser.isClosed && parser === this._parser) {
        if (parser._dataMode) watcher.dataBytes(chunk.length);
        else watcher.commandBytes(chunk);
      }
      write(chunk, encoding, next);
    };
    const startDataMode = parser.startDataMode.bind(parser);
    parser.startDataMode = (maxBytes) => {
      watcher.dataStarted();
      return startDataMode(maxBytes);
    };
    const endDataMode = parser._endDataMode.bind(parser);
    parser._endDataMode = (chunk, remainder, callback) => {
      watcher.dataEnded();
      endDataMode(chunk, remainder, callback);
    };
  }
}

function clientConnectionOf(
  connection: SMTPConnection,
  sendAsIs: (code: number, text: string) => void,
): ClientConnection {
  return {
    id: connection.id,
    get remoteAddress() {
      return connection.remoteAddress;
    },
    get session() {
      return connection.session;
    },
    get inTransaction() {
      // smtp-server resets the envelope when a transaction ends; a connection
      // still waiting for its greeting has none yet (typed as always present).
      const envelope = connection.session.envelope as SMTPServerEnvelope | undefined;
      return Boolean(envelope?.mailFrom);
    },
    get closing() {
      return connection._closing || connection._closed;
    },
    get serverIsBehind() {
      const parser: SMTPStream | false = connection._parser;
      return connection._handlerPending || (parser !== false && parser.writableLength > 0);
    },
    sendReply: sendAsIs,
  };
}
