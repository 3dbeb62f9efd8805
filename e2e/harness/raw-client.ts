import net from 'node:net';
import tls from 'node:tls';

export interface RawClientOptions {
  readonly port: number;
  /** Source address, e.g. 127.0.0.2 to be a different peer than 127.0.0.1. */
  readonly localAddress?: string;
  /** Bytes written right after connecting (a PROXY header), before TLS or SMTP. */
  readonly preamble?: Buffer | string;
  /** Implicit TLS after the preamble (SMTPS). */
  readonly tls?: tls.ConnectionOptions;
  /** Deadline for connecting and every wait (default 10 000 ms). */
  readonly timeoutMs?: number;
}

export interface RawClient {
  /** Everything the server sent so far (latin1). */
  received(): string;
  write(bytes: Buffer | string): void;
  /** The next complete SMTP reply (its last line, e.g. `250 2.0.0 Ok`), in order. */
  nextReply(timeoutMs?: number): Promise<string>;
  /** Waits until what was received matches; fails at the deadline or on close. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves once the server closed the connection, with everything it sent. */
  closed(timeoutMs?: number): Promise<string>;
  destroy(): void;
}

/**
 * A byte-level client for what smtpConversation cannot do: bytes before the
 * greeting (PROXY protocol), another source address, TLS after a preamble.
 */
export async function openRawClient(options: RawClientOptions): Promise<RawClient> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const raw = net.connect({
    host: '127.0.0.1',
    port: options.port,
    ...(options.localAddress ? { localAddress: options.localAddress } : {}),
  });
  raw.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error('connect timed out'));
    }, timeoutMs);
    raw.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    raw.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  if (options.preamble !== undefined) raw.write(options.preamble);
  const socket = options.tls ? tls.connect({ ...options.tls, socket: raw }) : raw;
  socket.on('error', () => undefined);

  let text = '';
  let ended = false;
  const listeners = new Set<() => void>();
  const notify = (): void => {
    for (const listener of listeners) listener();
  };
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
    notify();
  });
  socket.on('close', () => {
    ended = true;
    notify();
  });

  const until = <T>(
    check: () => T | undefined,
    what: string,
    wait: number,
    failOnClose: boolean,
  ): Promise<T> =>
    new Promise((resolve, reject) => {
      const settle = (): void => {
        const value = check();
        if (value !== undefined) {
          done();
          resolve(value);
        } else if (ended && failOnClose) {
          done();
          reject(new Error(`closed while waiting for ${what}; received ${JSON.stringify(text)}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `timed out after ${String(wait)} ms waiting for ${what}; received ${JSON.stringify(text)}`,
          ),
        );
      }, wait);
      const done = (): void => {
        clearTimeout(timer);
        listeners.delete(settle);
      };
      listeners.add(settle);
      settle();
    });

  // Offset of the first byte no nextReply() has returned yet.
  let consumed = 0;
  const takeReply = (): string | undefined => {
    const pattern = /^(\d{3})([ -])([^\r\n]*)\r\n/gm;
    pattern.lastIndex = consumed;
    for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
      if (match[2] === ' ') {
        consumed = pattern.lastIndex;
        return match[0].trimEnd();
      }
    }
    return undefined;
  };

  return {
    received: () => text,
    nextReply: (wait = timeoutMs) => until(takeReply, 'a reply', wait, true),
    write(bytes) {
      socket.write(bytes);
    },
    waitFor: (pattern, wait = timeoutMs) =>
      until(() => (pattern.test(text) ? text : undefined), String(pattern), wait, true),
    closed: (wait = timeoutMs) => until(() => (ended ? text : undefined), 'close', wait, false),
    destroy() {
      socket.destroy();
      raw.destroy();
    },
  };
}
