import SMTPConnection, {
  type SMTPConnectionOptions,
  type SMTPConnectionSendInfo,
} from 'nodemailer/lib/smtp-connection';
import type { CommandIo } from '../command-io.ts';

export const SEND_TEST_USAGE = `Usage: smtp-relay send-test [options]

Sends one test message to the relay's ingress, like a device would, and
prints the relay's answer ("250 2.0.0 Ok: queued as <id>").

Options:
  --to <address>        recipient (default: test@example.com)
  --from <address>      sender (default: smtp-relay-test@<SMTP_HOSTNAME or localhost>)
  --host <host>         ingress address (default: 127.0.0.1)
  --port <port>         ingress port (default: $SMTP_PORT or 2525)
  --user <name>         SMTP AUTH user; the password is asked for, or read
                        from standard input, or taken from $SEND_TEST_PASSWORD
  --tls <mode>          starttls | implicit | none | auto (default: auto: STARTTLS
                        when offered; without it the message goes in plain text
                        with a warning, and a --user password not at all)
  --insecure            accept any certificate (a self-signed test certificate)`;

export interface SendTestOptions {
  readonly to: string | undefined;
  readonly from: string | undefined;
  readonly host: string | undefined;
  readonly port: string | undefined;
  readonly user: string | undefined;
  readonly tls: string | undefined;
  readonly insecure: boolean;
}

export async function runSendTest(
  options: SendTestOptions,
  env: Readonly<Record<string, string | undefined>>,
  io: CommandIo,
): Promise<number> {
  const tls = options.tls ?? 'auto';
  if (!['starttls', 'implicit', 'none', 'auto'].includes(tls)) {
    io.error(SEND_TEST_USAGE);
    return 2;
  }
  const port = Number(options.port ?? env['SMTP_PORT'] ?? 2525);
  const host = options.host ?? '127.0.0.1';
  const to = options.to ?? 'test@example.com';
  const from = options.from ?? `smtp-relay-test@${env['SMTP_HOSTNAME'] ?? 'localhost'}`;
  let auth: { user: string; pass: string } | undefined;
  if (options.user !== undefined) {
    const pass =
      env['SEND_TEST_PASSWORD'] ?? (await io.readPassword(`Password for ${options.user}: `));
    if (pass === undefined || pass === '') {
      io.error('No password given.');
      return 1;
    }
    auth = { user: options.user, pass };
  }
  const connectionOptions: SMTPConnectionOptions = {
    host,
    port,
    secure: tls === 'implicit',
    requireTLS: tls === 'starttls',
    ignoreTLS: tls === 'none',
    tls: { rejectUnauthorized: !options.insecure },
    name: 'send-test.smtp-relay',
    connectionTimeout: 10_000,
  };
  const where = `${host}:${String(port)}`;
  const connection = new SMTPConnection(connectionOptions);
  const date = new Date();
  const raw =
    `From: smtp-relay test <${from}>\r\nTo: <${to}>\r\nSubject: smtp-relay test message\r\n` +
    `Date: ${date.toUTCString()}\r\nMessage-ID: <send-test-${String(date.getTime())}@smtp-relay>\r\n` +
    `MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n` +
    `This message was sent by "npx smtp-relay send-test" at ${date.toISOString()}.\r\n` +
    `If you can read it at the smart host, the relay works.\r\n`;
  try {
    await connect(connection);
    // auto: STARTTLS when offered. Plain text is never silent: a password is not sent
    // that way unless --tls none says so, and a message only with a warning.
    if (tls === 'auto' && !connection.secure) {
      if (auth !== undefined) {
        io.error(
          `${where} offers no STARTTLS: not sending the password of ${auth.user} in plain text (--tls none sends it anyway)`,
        );
        return 1;
      }
      io.error(
        `warning: ${where} offers no STARTTLS, so the message goes in plain text (--tls none says you mean it, --tls starttls refuses it)`,
      );
    }
    if (auth !== undefined) {
      if (connection.allowsAuth) await login(connection, auth);
      else io.error(`warning: ${where} offers no AUTH; sending without logging in`);
    }
    const info = await send(connection, from, to, raw);
    io.print(`${where} answered: ${info.response}`);
    return 0;
  } catch (error) {
    const shaped = error as { response?: string; message?: string };
    io.error(`${where} refused the message: ${shaped.response ?? shaped.message ?? String(error)}`);
    return 1;
  } finally {
    connection.close();
  }
}

function connect(connection: SMTPConnection): Promise<void> {
  return new Promise((resolve, reject) => {
    connection.once('error', reject);
    connection.connect((error) => {
      if (error) reject(error);
      else resolve();
    });
  });
}

function login(connection: SMTPConnection, credentials: { user: string; pass: string }) {
  return new Promise<void>((resolve, reject) => {
    connection.login({ credentials }, (error) => {
      if (error) reject(error);
      else resolve();
    });
  });
}

function send(connection: SMTPConnection, from: string, to: string, raw: string) {
  return new Promise<SMTPConnectionSendInfo>((resolve, reject) => {
    connection.send({ from, to: [to] }, raw, (error, info) => {
      if (error) reject(error);
      else resolve(info);
    });
  });
}
