import type { Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';

// RFC 1939 §3: a response is at most 512 octets with its CRLF. Twice that is
// generous; beyond it the peer is not a POP3 server and is not read further.
const MAX_LINE = 1024;

/** Reads CRLF (or bare LF) terminated lines from a socket, one at a time. */
export class LineReader {
  readonly #socket: Socket;
  readonly #decoder = new StringDecoder('utf8');
  #buffer = '';
  readonly #lines: string[] = [];
  #failure: Error | undefined;
  #waiting: { resolve: (line: string) => void; reject: (error: Error) => void } | undefined;

  readonly #onData = (chunk: Buffer): void => {
    this.#buffer += this.#decoder.write(chunk);
    for (let end = this.#buffer.indexOf('\n'); end >= 0; end = this.#buffer.indexOf('\n')) {
      this.#lines.push(this.#buffer.slice(0, end).replace(/\r$/, ''));
      this.#buffer = this.#buffer.slice(end + 1);
    }
    if (this.#buffer.length > MAX_LINE) {
      this.#fail(new Error(`a line longer than ${String(MAX_LINE)} characters`));
      this.#socket.destroy();
    }
    this.#deliver();
  };
  readonly #onError = (error: Error): void => {
    this.#fail(error);
  };
  readonly #onClose = (): void => {
    this.#fail(new Error('connection closed by the server'));
  };

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', this.#onData);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
  }

  /** The next line, without its line end; rejects once the connection failed or closed. */
  next(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject };
      this.#deliver();
    });
  }

  /**
   * Stops reading (before a TLS upgrade takes the socket over). True when the
   * peer had sent more than was read: after STLS that would be plain text
   * slipped in ahead of the TLS session, so the caller gives up (RFC 2595 §4).
   */
  detach(): boolean {
    this.#socket.off('data', this.#onData);
    this.#socket.off('error', this.#onError);
    this.#socket.off('close', this.#onClose);
    return this.#lines.length > 0 || this.#buffer.length > 0;
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    this.#deliver();
  }

  #deliver(): void {
    const waiting = this.#waiting;
    if (waiting === undefined) return;
    const line = this.#lines.shift();
    if (line !== undefined) {
      this.#waiting = undefined;
      waiting.resolve(line);
    } else if (this.#failure !== undefined) {
      this.#waiting = undefined;
      waiting.reject(this.#failure);
    }
  }
}
