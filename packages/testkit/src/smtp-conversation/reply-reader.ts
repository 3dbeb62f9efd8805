import type { Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { ReplyParser, type ConversationReply } from './reply-parser.ts';

interface Waiter {
  resolve: (reply: ConversationReply) => void;
  reject: (error: Error) => void;
}

/**
 * Reads replies from one socket (the plain one, or the TLS one after STARTTLS) and
 * hands them out in order; every wait has a deadline and a failure says what arrived.
 */
export class ReplyReader {
  readonly #socket: Socket;
  readonly #decoder = new StringDecoder('utf8');
  readonly #parser = new ReplyParser();
  readonly #replies: ConversationReply[] = [];
  readonly #waiters: Waiter[] = [];
  #failure: Error | undefined;
  #transcript = '';

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', this.#onData);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
  }

  /** Stops reading from the socket, e.g. before it is wrapped in TLS. */
  detach(): void {
    this.#socket.off('data', this.#onData);
    this.#socket.off('error', this.#onError);
    this.#socket.off('close', this.#onClose);
  }

  /** Replies already received that nobody read yet, plus any partial text. */
  get unread(): string {
    const complete = this.#replies.map((r) => r.lines.map((l) => `${r.code} ${l}`).join('\n'));
    return [...complete, this.#parser.pending].filter(Boolean).join('\n');
  }

  read(timeoutMs: number, waitingFor: string): Promise<ConversationReply> {
    const queued = this.#replies.shift();
    if (queued) return Promise.resolve(queued);
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(
          new Error(
            `Timed out after ${timeoutMs} ms waiting for ${waitingFor}; ${this.#received()}`,
          ),
        );
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  #received(): string {
    const tail = this.#transcript.slice(-2_000);
    return `received so far: ${tail ? JSON.stringify(tail) : 'nothing'}`;
  }

  readonly #onData = (chunk: Buffer): void => {
    const text = this.#decoder.write(chunk);
    this.#transcript += text;
    try {
      for (const reply of this.#parser.push(text)) {
        const waiter = this.#waiters.shift();
        if (waiter) waiter.resolve(reply);
        else this.#replies.push(reply);
      }
    } catch (error) {
      this.#fail(error instanceof Error ? error : new Error(String(error)));
      this.#socket.destroy();
    }
  };

  readonly #onError = (error: Error): void => {
    this.#fail(
      new Error(`Connection error: ${error.message}; ${this.#received()}`, { cause: error }),
    );
  };

  readonly #onClose = (): void => {
    this.#fail(new Error(`Connection closed by the server; ${this.#received()}`));
  };

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#failure);
  }
}
