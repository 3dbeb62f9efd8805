import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { connect as connectTls, rootCertificates, type ConnectionOptions } from 'node:tls';
import type { SmartHostTlsMode } from '@smtp-relay/config';
import { LineReader } from './line-reader.ts';
import { isPop3Error, pop3Error, type Pop3Command, type Pop3Error } from './pop3-error.ts';
import { parsePop3Reply } from './pop3-reply.ts';

// The whole client side of POP3 before SMTP: greeting, STLS (RFC 2595),
// USER and PASS (RFC 1939 §7), QUIT. Nothing is read from the mailbox. No
// library: a POP3 package would bring retrieval, APOP and SASL we do not use,
// and its own timeouts and TLS defaults where ours must be the smart host's.

export interface Pop3LoginOptions {
  readonly host: string;
  readonly port: number;
  readonly tls: SmartHostTlsMode;
  readonly user: string;
  readonly password: string;
  /** SMART_HOST_TLS_VERIFY: the certificate is checked like the smart host's. */
  readonly tlsVerify: boolean;
  /** SMART_HOST_CA_FILE (PEM), added to the system CAs. */
  readonly extraCa: Buffer | undefined;
  /** SMTP_CLIENT_TIMEOUT: the whole login, from connect to QUIT, must fit in it. */
  readonly timeoutMs: number;
  /** Ends a login in progress (the sender is stopping). */
  readonly signal?: AbortSignal;
}

const WHAT: Readonly<Record<Pop3Command, string>> = {
  CONN: 'the connection',
  STLS: 'STLS',
  USER: 'the user name',
  PASS: 'the login',
};

/** Resolves once the server accepted USER and PASS; rejects with a Pop3Error otherwise. */
export async function pop3Login(options: Pop3LoginOptions): Promise<void> {
  const where = `POP3 ${options.host}:${String(options.port)}`;
  // A line break would end the command early and start another of the caller's choosing.
  if (/[\r\n]/.test(options.user) || /[\r\n]/.test(options.password)) {
    throw pop3Error('USER', `${where}: SMART_HOST_USER or SMART_HOST_PASSWORD holds a line break`);
  }
  let command: Pop3Command = 'CONN';
  let stopped: string | undefined;
  let socket = options.tls === 'implicit' ? connectTls(tlsOptions(options)) : open(options);
  const stop = (reason: string): void => {
    stopped ??= reason;
    socket.destroy(new Error(reason));
  };
  // One deadline for every step: a server that answers each line just in time
  // must not hold deliveries for several SMTP_CLIENT_TIMEOUTs.
  const timer = setTimeout(() => {
    stop(`no login within ${String(options.timeoutMs)} ms (SMTP_CLIENT_TIMEOUT)`);
  }, options.timeoutMs);
  const onAbort = (): void => {
    stop('the sender is stopping');
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  let lines = new LineReader(socket);

  const expectOk = async (): Promise<void> => {
    const line = await lines.next();
    const reply = parsePop3Reply(line);
    if (reply === undefined) {
      throw pop3Error(command, `${where} is not a POP3 server: "${line.slice(0, 120)}"`);
    }
    if (!reply.ok) {
      throw pop3Error(command, `${where} refused ${WHAT[command]}: ${line}`, { response: line });
    }
  };
  const send = async (line: string): Promise<void> => {
    socket.write(`${line}\r\n`);
    await expectOk();
  };

  try {
    await connected(socket, options.tls === 'implicit');
    await expectOk();
    if (options.tls === 'starttls') {
      command = 'STLS';
      await send('STLS');
      if (lines.detach()) throw pop3Error(command, `${where} sent more than its reply to STLS`);
      socket.on('error', () => undefined);
      socket = connectTls({ ...tlsOptions(options), socket });
      lines = new LineReader(socket);
      await connected(socket, true);
    }
    command = 'USER';
    await send(`USER ${options.user}`);
    command = 'PASS';
    await send(`PASS ${options.password}`);
    // Logged in. QUIT ends the session cleanly (the server releases the
    // mailbox); its answer no longer matters.
    socket.write('QUIT\r\n');
    await lines.next().catch(() => undefined);
  } catch (error) {
    throw asPop3Error(error, command, where, stopped);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    socket.destroy();
  }
}

function open(options: Pop3LoginOptions): Socket {
  return connectTcp({ host: options.host, port: options.port });
}

// As the smart host's connection (smart-host-client.ts): system CAs plus
// SMART_HOST_CA_FILE, SMART_HOST_TLS_VERIFY, TLS 1.2 at least.
function tlsOptions(options: Pop3LoginOptions): ConnectionOptions {
  return {
    host: options.host,
    port: options.port,
    // SNI takes names only (RFC 6066 §3); an address is still checked against the certificate.
    ...(isIP(options.host) === 0 ? { servername: options.host } : {}),
    rejectUnauthorized: options.tlsVerify,
    minVersion: 'TLSv1.2',
    ...(options.extraCa ? { ca: [...rootCertificates, options.extraCa.toString('utf8')] } : {}),
  };
}

function connected(socket: Socket, secure: boolean): Promise<void> {
  const event = secure ? 'secureConnect' : 'connect';
  return new Promise((resolve, reject) => {
    const settle = (error?: Error): void => {
      socket.off(event, onReady);
      socket.off('error', settle);
      socket.off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onReady = (): void => {
      settle();
    };
    const onClose = (): void => {
      settle(new Error('connection closed by the server'));
    };
    socket.once(event, onReady);
    socket.once('error', settle);
    socket.once('close', onClose);
  });
}

function asPop3Error(
  error: unknown,
  command: Pop3Command,
  where: string,
  stopped: string | undefined,
): Pop3Error {
  if (stopped !== undefined) return pop3Error(command, `${where}: ${stopped}`, { cause: error });
  if (isPop3Error(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return pop3Error(command, `${where}: ${message}`, { cause: error });
}
