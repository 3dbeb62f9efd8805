import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { pop3Refusal } from '../src/fake-smart-host/pop3-requirement.ts';
import {
  generateCertificates,
  startFakePop3Server,
  startFakeSmartHost,
  type FakePop3Server,
  type GeneratedCertificates,
} from '../src/index.ts';
import { sendError, sendRawMessage } from './send-raw-message.ts';

/** A plain-text POP3 client for protocol tests: one line in, one line out. */
async function rawPop3(port: number) {
  const socket: Socket = connect({ host: '127.0.0.1', port });
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    for (let end = buffer.indexOf('\r\n'); end >= 0; end = buffer.indexOf('\r\n')) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const next = waiting.shift();
      if (next) next(line);
      else lines.push(line);
    }
  });
  const readLine = (): Promise<string> => {
    const line = lines.shift();
    return line === undefined
      ? new Promise((resolve) => waiting.push(resolve))
      : Promise.resolve(line);
  };
  const greeting = await readLine();
  return {
    greeting,
    readLine,
    async command(line: string): Promise<string> {
      socket.write(`${line}\r\n`);
      return readLine();
    },
    close(): void {
      socket.destroy();
    },
  };
}

describe('fake POP3 server', () => {
  let certs: GeneratedCertificates;
  const servers: FakePop3Server[] = [];

  before(async () => {
    certs = await generateCertificates();
  });

  after(async () => {
    for (const server of servers) await server.close();
    await certs.cleanup();
  });

  async function server(tls: 'starttls' | 'none'): Promise<FakePop3Server> {
    const started = await startFakePop3Server({
      tls,
      ...(tls === 'none' ? {} : { certificate: { key: certs.key, cert: certs.cert } }),
      users: { relay: 'secret' },
    });
    servers.push(started);
    return started;
  }

  it('takes USER/PASS, records the login with its address and time, and masks PASS', async () => {
    const pop3 = await server('none');
    const session = await rawPop3(pop3.port);
    try {
      assert.match(session.greeting, /^\+OK /);
      assert.equal(await session.command('USER relay'), '+OK');
      assert.equal(await session.command('PASS secret'), '+OK Logged in.');
      assert.equal(await session.command('STAT'), '+OK 0 0');
      assert.equal(await session.command('QUIT'), '+OK Logging out.');
    } finally {
      session.close();
    }
    const [login] = pop3.logins;
    assert.equal(login?.user, 'relay');
    assert.equal(login.remoteAddress, '127.0.0.1');
    assert.equal(login.secure, false);
    assert.ok(login.at instanceof Date);
    assert.deepEqual(
      pop3.commands.map((c) => c.line),
      ['USER relay', 'PASS ****', 'STAT', 'QUIT'],
    );
  });

  it('refuses a wrong password with an RFC 2449 [AUTH] code, and setUsers changes what it takes', async () => {
    const pop3 = await server('none');
    const session = await rawPop3(pop3.port);
    try {
      await session.command('USER relay');
      assert.equal(await session.command('PASS nope'), '-ERR [AUTH] Authentication failed.');
      pop3.setUsers({ relay: 'nope' });
      await session.command('USER relay');
      assert.equal(await session.command('PASS nope'), '+OK Logged in.');
    } finally {
      session.close();
    }
    assert.deepEqual(
      pop3.attempts.map((a) => a.success),
      [false, true],
    );
    assert.equal(pop3.logins.length, 1);
  });

  it('with starttls offers STLS and refuses a password before TLS', async () => {
    const pop3 = await server('starttls');
    const session = await rawPop3(pop3.port);
    try {
      assert.equal(await session.command('CAPA'), '+OK Capability list follows');
      const capabilities = [await session.readLine(), await session.readLine()];
      assert.deepEqual(capabilities, ['USER', 'STLS']);
      assert.equal(await session.readLine(), '.');
      assert.match(await session.command('USER relay'), /^-ERR \[AUTH\] Plaintext/);
    } finally {
      session.close();
    }
    assert.equal(pop3.attempts.length, 0);
  });

  it('stop() drops the port and start() listens on it again', async () => {
    const pop3 = await server('none');
    await pop3.stop();
    assert.equal(pop3.listening, false);
    await pop3.start();
    const session = await rawPop3(pop3.port);
    session.close();
    assert.match(session.greeting, /^\+OK/);
  });

  it('the fake smart host refuses MAIL without a recent POP3 login and takes it after one', async () => {
    const pop3 = await server('none');
    const smartHost = await startFakeSmartHost({
      tls: 'none',
      requirePop3Login: { server: pop3, withinMs: 60_000 },
    });
    try {
      const error = await sendError(sendRawMessage(smartHost.port, {}));
      assert.equal(error.response, '550 5.7.1 Relaying denied: log in to POP3 first');
      const session = await rawPop3(pop3.port);
      await session.command('USER relay');
      await session.command('PASS secret');
      session.close();
      await sendRawMessage(smartHost.port, {});
      assert.equal(smartHost.messages.length, 1);
    } finally {
      await smartHost.close();
    }
  });
});

describe('pop3Refusal (the fake smart host’s POP-before-SMTP check)', () => {
  const at = new Date('2030-01-01T00:00:00Z');
  const server = { logins: [{ remoteAddress: '127.0.0.1', at }] };
  const ROWS: readonly (readonly [string, number, string, number | undefined])[] = [
    ['a login just now', 0, '127.0.0.1', undefined],
    ['a login exactly withinMs ago', 60_000, '127.0.0.1', undefined],
    ['a login too long ago', 60_001, '127.0.0.1', 550],
    ['a login from another address', 0, '127.0.0.2', 550],
    ['an IPv4-mapped address', 0, '::ffff:127.0.0.1', undefined],
  ];
  for (const [title, ageMs, address, code] of ROWS) {
    it(title, () => {
      const refusal = pop3Refusal({ server, withinMs: 60_000 }, address, at.getTime() + ageMs);
      assert.equal(refusal?.code, code);
    });
  }

  it('answers with the configured reply', () => {
    const reply = { code: 530, message: '5.7.0 Authentication required' };
    assert.deepEqual(
      pop3Refusal({ server: { logins: [] }, withinMs: 1, reply }, '127.0.0.1'),
      reply,
    );
  });
});
