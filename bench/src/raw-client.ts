// A minimal SMTP client for the load generator: one socket, commands one at a
// time as a printer sends them (no PIPELINING), the message written as one
// buffer. Much cheaper per message than nodemailer, whose per-connection set-up
// (transport, composer streams) can cost the generator more CPU than the relay
// spends, which on a small machine takes CPU from the relay being measured.
import { connect, type Socket } from 'node:net';

export interface RawSmtpSession {
  /** Sends one message; rejects on any reply other than the expected one. */
  send(from: string, to: string, message: Buffer): Promise<void>;
  /** QUIT, then waits for the server to close. */
  quit(): Promise<void>;
}

class SmtpReplyError extends Error {}

/** Connects, reads the greeting, says EHLO and, with `auth`, AUTH PLAIN. */
export async function openRawSession(options: {
  readonly port: number;
  readonly heloName: string;
  readonly auth?: { readonly user: string; readonly pass: string } | undefined;
}): Promise<RawSmtpSession> {
  const socket: Socket = connect({ host: '127.0.0.1', port: options.port, noDelay: true });
  let buffered = '';
  let waiting: { resolve(reply: string): void; reject(error: Error): void } | undefined;
  let failure: Error | undefined;
  const replies: string[] = [];
  const deliver = (): void => {
    if (waiting === undefined) return;
    const reply = replies.shift();
    if (reply !== undefined) {
      const current = waiting;
      waiting = undefined;
      current.resolve(reply);
    } else if (failure !== undefined) {
      const current = waiting;
      waiting = undefined;
      current.reject(failure);
    }
  };
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    // A reply ends with a line whose fourth character is a space ("250 ok", not "250-...").
    for (;;) {
      let end = -1;
      let from = 0;
      for (;;) {
        const lineEnd = buffered.indexOf('\r\n', from);
        if (lineEnd < 0) break;
        if (buffered[from + 3] !== '-') {
          end = lineEnd;
          break;
        }
        from = lineEnd + 2;
      }
      if (end < 0) break;
      replies.push(buffered.slice(0, end));
      buffered = buffered.slice(end + 2);
    }
    deliver();
  });
  socket.on('error', (error) => {
    failure = error;
    deliver();
  });
  socket.on('close', () => {
    failure ??= new Error('connection closed');
    deliver();
  });
  const reply = (): Promise<string> =>
    new Promise((resolve, reject) => {
      waiting = { resolve, reject };
      deliver();
    });
  const expect = async (code: string, command: string | Buffer | undefined): Promise<void> => {
    if (command !== undefined) socket.write(command);
    const text = await reply();
    if (!text.startsWith(code)) {
      socket.destroy();
      throw new SmtpReplyError(
        `${typeof command === 'string' ? command.trim() : 'greeting/data'}: ${text}`,
      );
    }
  };

  await expect('220', undefined);
  await expect('250', `EHLO ${options.heloName}\r\n`);
  if (options.auth !== undefined) {
    const token = Buffer.from(`\0${options.auth.user}\0${options.auth.pass}`).toString('base64');
    await expect('235', `AUTH PLAIN ${token}\r\n`);
  }
  return {
    async send(from, to, message) {
      await expect('250', `MAIL FROM:<${from}> SIZE=${String(message.length)}\r\n`);
      await expect('250', `RCPT TO:<${to}>\r\n`);
      await expect('354', 'DATA\r\n');
      // The generated messages have no line starting with a dot: no stuffing needed.
      const ending = message.subarray(-2).toString('latin1') === '\r\n' ? '.\r\n' : '\r\n.\r\n';
      socket.write(message);
      await expect('250', ending);
    },
    async quit() {
      await expect('221', 'QUIT\r\n');
      socket.end();
      if (!socket.closed) await new Promise((resolve) => socket.once('close', resolve));
    },
  };
}
