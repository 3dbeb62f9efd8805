import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { SmartHostTlsMode } from '@smtp-relay/config';
import { classifyDeliveryError } from '@smtp-relay/smtp-errors';
import {
  generateCertificates,
  generateSelfSignedCertificate,
  startFakePop3Server,
  type FakePop3Server,
  type GeneratedCertificates,
  type SelfSignedCertificate,
} from '@smtp-relay/testkit';
import type { Pop3Error } from '../src/pop3/pop3-error.ts';
import { pop3Login, type Pop3LoginOptions } from '../src/pop3/pop3-login.ts';

// The POP3 client against a real POP3 server (the testkit's) over plain text,
// STLS and implicit TLS, with a throwaway CA: what it sends, and how each
// failure is classified (docs/reference.md "POP3 before SMTP": systemic).

const USERS = { relay: 'pop-secret' };

describe('POP3 login', () => {
  let certs: GeneratedCertificates;
  let selfSigned: SelfSignedCertificate;
  const servers: FakePop3Server[] = [];

  before(async () => {
    certs = await generateCertificates();
    selfSigned = await generateSelfSignedCertificate();
  });

  after(async () => {
    for (const server of servers) await server.close();
    await selfSigned.cleanup();
    await certs.cleanup();
  });

  async function pop3Server(
    tls: SmartHostTlsMode,
    certificate: { key: string; cert: string } = { key: certs.key, cert: certs.cert },
  ): Promise<FakePop3Server> {
    const server = await startFakePop3Server({
      tls,
      ...(tls === 'none' ? {} : { certificate }),
      users: USERS,
    });
    servers.push(server);
    return server;
  }

  function loginTo(
    server: { port: number },
    tls: SmartHostTlsMode,
    overrides: Partial<Pop3LoginOptions> = {},
  ): Promise<void> {
    return pop3Login({
      host: '127.0.0.1',
      port: server.port,
      tls,
      user: 'relay',
      password: 'pop-secret',
      tlsVerify: true,
      extraCa: Buffer.from(certs.caCert),
      timeoutMs: 10_000,
      ...overrides,
    });
  }

  async function failure(login: Promise<void>): Promise<Pop3Error> {
    return login.then(
      () => assert.fail('expected the login to fail'),
      (error: unknown) => error as Pop3Error,
    );
  }

  const MODES: readonly (readonly [SmartHostTlsMode, readonly string[], boolean])[] = [
    ['none', ['USER relay', 'PASS ****', 'QUIT'], false],
    ['starttls', ['STLS', 'USER relay', 'PASS ****', 'QUIT'], true],
    ['implicit', ['USER relay', 'PASS ****', 'QUIT'], true],
  ];
  for (const [tls, commands, secure] of MODES) {
    it(`logs in with USER/PASS, then QUIT (SMART_HOST_POP3_TLS=${tls})`, async () => {
      const server = await pop3Server(tls);
      await loginTo(server, tls);
      assert.deepEqual(
        server.commands.map((c) => c.line),
        commands,
      );
      const [login] = server.logins;
      assert.equal(login?.user, 'relay');
      assert.equal(login.remoteAddress, '127.0.0.1');
      assert.equal(login.secure, secure);
      // The password only ever crosses an encrypted connection when TLS is asked for.
      const pass = server.commands.find((c) => c.line.startsWith('PASS'));
      assert.equal(pass?.secure, secure);
    });
  }

  it('a wrong password is refused with -ERR: a systemic failure naming the credentials', async () => {
    const server = await pop3Server('implicit');
    const error = await failure(loginTo(server, 'implicit', { password: 'wrong-password' }));
    assert.equal(error.code, 'EPOP3');
    assert.equal(error.command, 'PASS');
    assert.equal(error.response, '-ERR [AUTH] Authentication failed.');
    assert.ok(!error.message.includes('wrong-password'), error.message);
    const classified = classifyDeliveryError(error);
    assert.equal(classified.kind, 'systemic');
    assert.equal(classified.category, 'pop3');
    assert.equal(classified.rule, 'POP3 server refused our login');
    assert.equal(server.logins.length, 0);
    assert.deepEqual(
      server.attempts.map((a) => a.success),
      [false],
    );
  });

  for (const tls of ['implicit', 'starttls'] as const) {
    it(`a certificate no trusted CA signed is refused before USER (${tls})`, async () => {
      const server = await pop3Server(tls, { key: selfSigned.key, cert: selfSigned.cert });
      const error = await failure(loginTo(server, tls));
      assert.equal(error.code, 'EPOP3');
      assert.equal(error.command, tls === 'implicit' ? 'CONN' : 'STLS');
      assert.match(error.message, /self[- ]signed certificate/);
      const classified = classifyDeliveryError(error);
      assert.equal(classified.kind, 'systemic');
      assert.equal(classified.category, 'pop3');
      assert.match(classified.hint ?? '', /SMART_HOST_CA_FILE/);
      assert.ok(!server.commands.some((c) => c.line.startsWith('USER')));
    });
  }

  it('the system CAs alone do not trust the throwaway CA (SMART_HOST_CA_FILE is what adds it)', async () => {
    const server = await pop3Server('implicit');
    const error = await failure(loginTo(server, 'implicit', { extraCa: undefined }));
    assert.match(error.message, /certificate/);
  });

  it('SMART_HOST_TLS_VERIFY=false accepts a certificate nobody vouches for', async () => {
    const server = await pop3Server('implicit', { key: selfSigned.key, cert: selfSigned.cert });
    await loginTo(server, 'implicit', { tlsVerify: false, extraCa: undefined });
    assert.equal(server.logins.length, 1);
  });

  it('starttls never falls back to plain text when the server has no STLS', async () => {
    const server = await pop3Server('none');
    const error = await failure(loginTo(server, 'starttls'));
    assert.equal(error.command, 'STLS');
    assert.equal(error.response, '-ERR STLS not available');
    assert.equal(classifyDeliveryError(error).rule, 'POP3 login before SMTP failed');
    assert.deepEqual(
      server.commands.map((c) => c.line),
      ['STLS'],
    );
  });

  it('an unknown user is refused at PASS (the server does not say which was wrong): systemic', async () => {
    const server = await pop3Server('none');
    const error = await failure(loginTo(server, 'none', { user: 'nobody' }));
    assert.equal(error.command, 'PASS');
    assert.equal(classifyDeliveryError(error).category, 'pop3');
  });

  describe('against peers that are not well-behaved POP3 servers', () => {
    let silent: Server;
    let smtp: Server;
    const held = new Set<Socket>();

    before(async () => {
      // Accepts the connection and never greets.
      silent = createServer((socket) => {
        held.add(socket);
      });
      // An SMTP server where POP3 was expected.
      smtp = createServer((socket) => {
        held.add(socket);
        socket.write('220 smtp.example.test ESMTP\r\n');
      });
      for (const server of [silent, smtp]) {
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      }
    });

    after(async () => {
      for (const socket of held) socket.destroy();
      for (const server of [silent, smtp]) await new Promise((resolve) => server.close(resolve));
    });

    const portOf = (server: Server): { port: number } => {
      const address = server.address();
      return { port: typeof address === 'object' && address ? address.port : 0 };
    };

    it('gives up at the deadline (SMTP_CLIENT_TIMEOUT) when the server never greets', async () => {
      const error = await failure(loginTo(portOf(silent), 'none', { timeoutMs: 200 }));
      assert.equal(error.command, 'CONN');
      assert.match(error.message, /no login within 200 ms \(SMTP_CLIENT_TIMEOUT\)/);
      assert.equal(classifyDeliveryError(error).kind, 'systemic');
    });

    it('stops a login in progress when the sender stops', async () => {
      const stopping = new AbortController();
      const login = loginTo(portOf(silent), 'none', { signal: stopping.signal });
      stopping.abort();
      const error = await failure(login);
      assert.match(error.message, /the sender is stopping/);
    });

    it('says so when the peer is not a POP3 server', async () => {
      const error = await failure(loginTo(portOf(smtp), 'none'));
      assert.equal(error.command, 'CONN');
      assert.match(error.message, /is not a POP3 server: "220 smtp\.example\.test ESMTP"/);
    });

    it('refuses credentials with a line break (no second command smuggled in)', async () => {
      const error = await failure(loginTo(portOf(smtp), 'none', { password: 'secret\r\nDELE 1' }));
      assert.match(error.message, /holds a line break/);
      assert.ok(!error.message.includes('secret'));
    });

    it('a refused connection is systemic too', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const free = portOf(closed);
      await new Promise((resolve) => closed.close(resolve));
      const error = await failure(loginTo(free, 'none'));
      assert.equal(error.command, 'CONN');
      assert.match(error.message, /ECONNREFUSED/);
      assert.equal(classifyDeliveryError(error).category, 'pop3');
    });
  });
});
