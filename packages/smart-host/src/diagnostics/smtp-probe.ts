import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import type { Socket } from 'node:net';

// A deliberately small SMTP client for the diagnosis. nodemailer's
// SMTPConnection hides what check-smarthost must show: it refuses an
// untrusted certificate before anyone can look at it, and it reports a
// TLS/port mismatch as a bare timeout. Here every reply and the TLS socket
// itself stay in view.

/** One SMTP reply: its code and the text of each line without the code. */
export interface ProbeReply {
  readonly code: number;
  readonly lines: readonly string[];
}

export class ProbeError extends Error {
  /** ETIMEDOUT (no reply in time), ECLOSED (peer went away), EPROTOCOL (not SMTP). */
  readonly code: 'ETIMEDOUT' | 'ECLOSED' | 'EPROTOCOL';

  constructor(code: ProbeError['code'], message: string) {
    super(message);
    this.name = 'ProbeError';
    this.code = code;
  }
}

const REPLY_LINE = /^(\d{3})([ -])(.*)$/;
const MAX_PENDING_BYTES = 64 * 1024;

/** "250 first\r\n250-..." as one line of text, for details and causes. */
export function formatReply(reply: ProbeReply): string {
  return `${String(reply.code)} ${reply.lines.join(' / ')}`.trim();
}

/**
 * Splits received text into complete replies (RFC 5321 4.2.1: `250-` continues,
 * `250 ` ends); `rest` is an incomplete tail to keep for the next chunk.
 */
export function parseReplies(
  text: string,
  partial: readonly string[] = [],
): { replies: ProbeReply[]; partial: string[]; rest: string } {
  const replies: ProbeReply[] = [];
  let lines = [...partial];
  let rest = text;
  for (let end = rest.indexOf('\n'); end !== -1; end = rest.indexOf('\n')) {
    const line = rest.slice(0, end).replace(/\r$/, '');
    rest = rest.slice(end + 1);
    const match = REPLY_LINE.exec(line) ?? /^(\d{3})()$/.exec(line);
    if (!match) {
      throw new ProbeError('EPROTOCOL', `not an SMTP reply: ${JSON.stringify(line.slice(0, 80))}`);
    }
    lines.push(match[3] ?? '');
    if (match[2] !== '-') {
      replies.push({ code: Number(match[1]), lines });
      lines = [];
    }
  }
  return { replies, partial: lines, rest };
}

/** An SMTP conversation over a socket that may be upgraded to TLS in the middle. */
export class SmtpProbe {
  #socket: Socket;
  readonly #timeoutMs: number;
  #text = '';
  #partial: string[] = [];
  readonly #replies: ProbeReply[] = [];
  #failure: Error | undefined;
  #wake: (() => void) | undefined;
  readonly #onData = (chunk: Buffer): void => {
    this.#receive(chunk);
  };
  readonly #onError = (error: Error): void => {
    this.#fail(error);
  };
  readonly #onClose = (): void => {
    this.#fail(new ProbeError('ECLOSED', 'the smart host closed the connection'));
  };

  constructor(socket: Socket, timeoutMs: number) {
    this.#socket = socket;
    this.#timeoutMs = timeoutMs;
    this.#attach(socket);
  }

  get socket(): Socket {
    return this.#socket;
  }

  /** The next reply; rejects with a ProbeError after the timeout or when the peer leaves. */
  read(): Promise<ProbeReply> {
    return new Promise((resolve, reject) => {
      const settle = (): boolean => {
        const reply = this.#replies.shift();
        if (reply !== undefined) resolve(reply);
        else if (this.#failure !== undefined) reject(this.#failure);
        else return false;
        clearTimeout(timer);
        this.#wake = undefined;
        return true;
      };
      const timer = setTimeout(() => {
        this.#wake = undefined;
        reject(new ProbeError('ETIMEDOUT', `no reply within ${seconds(this.#timeoutMs)}`));
      }, this.#timeoutMs);
      if (!settle()) {
        this.#wake = () => {
          settle();
        };
      }
    });
  }

  async command(line: string): Promise<ProbeReply> {
    this.#socket.write(`${line}\r\n`);
    return this.read();
  }

  /**
   * TLS over the current socket (implicit TLS right after connecting, or after
   * `220` to STARTTLS). Resolves once the handshake is done, whatever the
   * certificate: verification is judged by the caller from the socket.
   */
  async startTls(options: ConnectionOptions): Promise<TLSSocket> {
    const plain = this.#socket;
    this.#detach(plain);
    const secure = tlsConnect({ ...options, socket: plain, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        finish(new ProbeError('ETIMEDOUT', `no TLS handshake within ${seconds(this.#timeoutMs)}`));
      }, this.#timeoutMs);
      const finish = (error?: Error): void => {
        clearTimeout(timer);
        secure.off('secureConnect', onSecure);
        secure.off('error', finish);
        secure.off('close', onClose);
        if (error) reject(error);
        else resolve();
      };
      const onSecure = (): void => {
        finish();
      };
      const onClose = (): void => {
        finish(
          new ProbeError(
            'ECLOSED',
            'the smart host closed the connection during the TLS handshake',
          ),
        );
      };
      secure.once('secureConnect', onSecure);
      secure.once('error', finish);
      secure.once('close', onClose);
    });
    this.#socket = secure;
    this.#attach(secure);
    return secure;
  }

  /** QUIT politely when the session is still usable, then drop the socket. */
  close(): void {
    const socket = this.#socket;
    this.#detach(socket);
    // Late errors after we are done must not become uncaught exceptions.
    socket.on('error', () => undefined);
    if (this.#failure !== undefined || !socket.writable) {
      socket.destroy();
      return;
    }
    socket.end('QUIT\r\n');
    // A smart host that never answers QUIT must not keep the command alive.
    setTimeout(() => socket.destroy(), 1000).unref();
  }

  #attach(socket: Socket): void {
    socket.on('data', this.#onData);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
  }

  #detach(socket: Socket): void {
    socket.off('data', this.#onData);
    socket.off('error', this.#onError);
    socket.off('close', this.#onClose);
  }

  #receive(chunk: Buffer): void {
    this.#text += chunk.toString('latin1');
    try {
      const parsed = parseReplies(this.#text, this.#partial);
      this.#replies.push(...parsed.replies);
      this.#partial = parsed.partial;
      this.#text = parsed.rest;
      if (this.#text.length > MAX_PENDING_BYTES) {
        throw new ProbeError('EPROTOCOL', 'an endless line: not an SMTP server');
      }
    } catch (error) {
      this.#fail(error as Error);
      return;
    }
    this.#wake?.();
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    this.#wake?.();
  }
}

export function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${String(ms / 1000)} s` : `${String(ms)} ms`;
}
