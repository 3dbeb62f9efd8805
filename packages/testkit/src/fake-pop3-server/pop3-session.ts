import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { Pop3Recorder } from './recorder.ts';
import type { FakePop3TlsMode } from './types.ts';

// One POP3 connection in the AUTHORIZATION state and just past it (RFC 1939
// §4-§7, RFC 2449 CAPA, RFC 2595 STLS): enough for a POP-before-SMTP client.
// The mailbox is always empty.

export interface SessionContext {
  readonly mode: FakePop3TlsMode;
  readonly secureContext: SecureContext | undefined;
  readonly users: () => Readonly<Record<string, string>>;
  readonly recorder: Pop3Recorder;
  /** Registers a socket that stop() must destroy (the TLS one after STLS). */
  readonly track: (socket: Socket) => void;
}

// Beyond this without a line end the peer is not a POP3 client.
const MAX_LINE = 4096;

function normalizeAddress(address: string | undefined): string {
  const text = address ?? '';
  return text.startsWith('::ffff:') ? text.slice('::ffff:'.length) : text;
}

export function startPop3Session(initial: Socket, secureAtStart: boolean, context: SessionContext) {
  const sessionId = randomBytes(4).toString('hex');
  const remoteAddress = normalizeAddress(initial.remoteAddress);
  let socket = initial;
  let secure = secureAtStart;
  let user: string | undefined;
  let loggedIn = false;
  let buffer = '';

  const write = (...lines: string[]): void => {
    if (!socket.destroyed) socket.write(lines.map((line) => `${line}\r\n`).join(''));
  };

  const pass = (password: string): void => {
    if (user === undefined) {
      write('-ERR USER first');
      return;
    }
    const success = context.users()[user] === password;
    const reply = success ? '+OK Logged in.' : '-ERR [AUTH] Authentication failed.';
    context.recorder.addAttempt({
      user,
      remoteAddress,
      secure,
      at: new Date(),
      sessionId,
      success,
      reply,
    });
    loggedIn = success;
    user = success ? user : undefined;
    write(reply);
  };

  /** Answers one command; true when the connection turns to TLS now (STLS). */
  const answer = (line: string): boolean => {
    const [word = '', ...rest] = line.split(' ');
    const keyword = word.toUpperCase();
    const argument = rest.join(' ');
    context.recorder.addCommand({
      line: keyword === 'PASS' ? 'PASS ****' : line,
      secure,
      at: new Date(),
      sessionId,
    });
    const stls = context.mode === 'starttls' && !secure && !loggedIn;
    switch (keyword) {
      case 'CAPA':
        write('+OK Capability list follows', 'USER', ...(stls ? ['STLS'] : []), '.');
        return false;
      case 'STLS':
        if (!stls) {
          write('-ERR STLS not available');
          return false;
        }
        write('+OK Begin TLS negotiation');
        return true;
      case 'USER':
        if (loggedIn) write('-ERR Already logged in');
        // As Dovecot with disable_plaintext_auth: no password before TLS when TLS is offered.
        else if (stls)
          write('-ERR [AUTH] Plaintext authentication disallowed on non-secure connections.');
        else {
          user = argument;
          write('+OK');
        }
        return false;
      case 'PASS':
        if (loggedIn) write('-ERR Already logged in');
        else pass(argument);
        return false;
      case 'STAT':
        write(loggedIn ? '+OK 0 0' : '-ERR Not logged in');
        return false;
      case 'NOOP':
        write('+OK');
        return false;
      case 'QUIT':
        write('+OK Logging out.');
        socket.end();
        return false;
      default:
        write('-ERR Unknown command');
        return false;
    }
  };

  const upgrade = (): void => {
    socket.off('data', onData);
    // Whatever came after STLS in plain text is dropped, never answered (RFC 2595 §4).
    buffer = '';
    const secured = new TLSSocket(socket, {
      isServer: true,
      ...(context.secureContext ? { secureContext: context.secureContext } : {}),
    });
    secured.on('secure', () => {
      secure = true;
    });
    secured.on('error', () => undefined);
    secured.on('data', onData);
    context.track(secured);
    socket = secured;
  };

  function onData(chunk: Buffer): void {
    buffer += chunk.toString('utf8');
    for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n')) {
      const line = buffer.slice(0, end).replace(/\r$/, '');
      buffer = buffer.slice(end + 1);
      if (answer(line)) {
        upgrade();
        return;
      }
    }
    if (buffer.length > MAX_LINE) socket.destroy();
  }

  socket.on('data', onData);
  socket.on('error', () => undefined);
  write('+OK fake POP3 server ready');
}
