import net from 'node:net';
import tls from 'node:tls';
import type { ConversationReply } from './reply-parser.ts';
import { ReplyReader } from './reply-reader.ts';

export interface ConversationTlsOptions {
  /** PEM of the CA to trust; without it the system store decides. */
  ca?: string;
  /** false accepts any certificate (default true: verify against `ca`). */
  rejectUnauthorized?: boolean;
  /** SNI and the name checked against the certificate (default: the host). */
  servername?: string;
}

export interface SmtpConversationOptions {
  port: number;
  host?: string;
  /** `implicit: true` connects with TLS from the first byte (port 465 style). */
  tls?: ConversationTlsOptions & { implicit?: boolean };
  /** Deadline for every wait, in ms (default 10 000). */
  timeoutMs?: number;
}

export interface SmtpConversation {
  /** The 220 (or refusal) the server opened with. */
  readonly greeting: ConversationReply;
  readonly secure: boolean;
  /**
   * Writes a command and waits for its complete reply. A string gets CRLF appended
   * unless it already ends with '\n'; a Buffer is written verbatim.
   */
  send(command: string | Buffer, timeoutMs?: number): Promise<ConversationReply>;
  /** Writes bytes without waiting (DATA bodies, odd line endings, pipelining). */
  sendRaw(bytes: string | Buffer): void;
  /** Waits for the next reply (after sendRaw, or an unsolicited 421). */
  readReply(timeoutMs?: number): Promise<ConversationReply>;
  /** Sends STARTTLS, expects 220 and upgrades the socket. */
  startTls(options?: ConversationTlsOptions): Promise<void>;
  /** Destroys the connection without QUIT. */
  close(): Promise<void>;
}

function commandBytes(command: string | Buffer): Buffer {
  if (Buffer.isBuffer(command)) return command;
  return Buffer.from(command.endsWith('\n') ? command : `${command}\r\n`, 'utf8');
}

function describeCommand(command: string | Buffer): string {
  const text = Buffer.isBuffer(command) ? command.toString('latin1') : command;
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text);
}

/** Resolves once `event` fires on the socket; rejects on error, close or the deadline. */
function connected(
  socket: net.Socket,
  event: string,
  timeoutMs: number,
  what: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (error?: Error): void => {
      clearTimeout(timer);
      socket.off(event, onReady);
      socket.off('error', settle);
      socket.off('close', onClose);
      if (error) {
        socket.destroy();
        reject(error);
      } else resolve();
    };
    const onReady = (): void => {
      settle();
    };
    const onClose = (): void => {
      settle(new Error(`Connection closed during ${what}`));
    };
    const timer = setTimeout(() => {
      settle(new Error(`Timed out after ${timeoutMs} ms during ${what}`));
    }, timeoutMs);
    socket.once(event, onReady);
    socket.once('error', settle);
    socket.once('close', onClose);
  });
}

function tlsConnectOptions(host: string, options: ConversationTlsOptions): tls.ConnectionOptions {
  const servername = options.servername ?? (net.isIP(host) ? undefined : host);
  return {
    host,
    rejectUnauthorized: options.rejectUnauthorized ?? true,
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    ...(servername === undefined ? {} : { servername }),
  };
}

/** Opens a raw SMTP session and reads the greeting, for protocol-level tests. */
export async function smtpConversation(
  options: SmtpConversationOptions,
): Promise<SmtpConversation> {
  const host = options.host ?? '127.0.0.1';
  const timeoutMs = options.timeoutMs ?? 10_000;
  let socket: net.Socket;
  let secure = options.tls?.implicit === true;
  if (options.tls?.implicit) {
    socket = tls.connect({ ...tlsConnectOptions(host, options.tls), port: options.port });
    await connected(socket, 'secureConnect', timeoutMs, 'the implicit TLS handshake');
  } else {
    socket = net.connect({ host, port: options.port });
    await connected(socket, 'connect', timeoutMs, 'connect');
  }
  let reader = new ReplyReader(socket);
  const greeting = await reader.read(timeoutMs, 'the greeting').catch((error: unknown) => {
    socket.destroy();
    throw error;
  });

  const conversation: SmtpConversation = {
    greeting,
    get secure() {
      return secure;
    },
    send(command, wait = timeoutMs) {
      socket.write(commandBytes(command));
      return reader.read(wait, `the reply to ${describeCommand(command)}`);
    },
    sendRaw(bytes) {
      socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes);
    },
    readReply: (wait = timeoutMs) => reader.read(wait, 'a reply'),
    async startTls(tlsOptions = {}) {
      const reply = await conversation.send('STARTTLS');
      if (reply.code !== 220) {
        throw new Error(`STARTTLS refused: ${reply.code} ${reply.text}`);
      }
      // Anything the server sent after 220 in cleartext must not count as a reply
      // under TLS (that would be the STARTTLS injection flaw), so it is left behind.
      reader.detach();
      // The TLS socket takes over the handle and reports errors itself; this listener
      // only keeps a late error on the bare socket from crashing the test process.
      socket.on('error', () => undefined);
      const upgraded = tls.connect({ ...tlsConnectOptions(host, tlsOptions), socket });
      await connected(upgraded, 'secureConnect', timeoutMs, 'the STARTTLS handshake');
      socket = upgraded;
      reader = new ReplyReader(upgraded);
      secure = true;
    },
    async close() {
      if (socket.destroyed) return;
      const closed = new Promise((resolve) => socket.once('close', resolve));
      socket.destroy();
      await closed;
    },
  };
  return conversation;
}
