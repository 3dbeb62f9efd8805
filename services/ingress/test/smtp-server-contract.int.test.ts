// An upgrade of smtp-server that fails here needs the adapter changed
// (services/ingress/src/smtp-server-adapter/, docs/adr/004-enhanced-status-codes.md).
// Each test is named after the library behaviour or internal it pins, and runs
// the real pinned library through the adapter over real sockets.
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { after, before, describe, it, type TestContext } from 'node:test';
import {
  generateCertificates,
  smtpConversation,
  waitFor,
  type GeneratedCertificates,
} from '@smtp-relay/testkit';
import type { SMTPServer, SMTPServerOptions, SMTPServerSession } from 'smtp-server';
import { readProxyHandshake } from '../src/proxy-handshake.ts';
import {
  createSmtpServer,
  forEachConnection,
  openConnectionCount,
  setDisabledCommands,
  type ClientConnection,
  type ConnectionWatcher,
  type OutgoingReply,
  type PendingSocket,
  type ServerBehaviour,
} from '../src/smtp-server-adapter/index.ts';

const BASE: SMTPServerOptions = {
  name: 'relay.test',
  logger: false,
  disableReverseLookup: true,
  authOptional: true,
  hideENHANCEDSTATUSCODES: false,
  disabledCommands: ['STARTTLS', 'AUTH'],
  closeTimeout: 2000,
};
const NO_EXTRAS: ServerBehaviour = { hasOwnEnhancedCode: () => false };
const OWN_ENHANCED_CODE = /^[245]\.\d{1,3}\.\d{1,3} /;
/** smtp-server's session id: 80 random bits in base 32. */
const SESSION_ID = /^[0-9a-v]{16}$/;
const BODY = 'Subject: scan\r\n\r\nbody line\r\n.\r\n';

async function listen(
  t: TestContext,
  options: SMTPServerOptions,
  behaviour: ServerBehaviour = NO_EXTRAS,
): Promise<{ server: SMTPServer; port: number }> {
  const server = createSmtpServer({ ...BASE, ...options }, behaviour);
  // As server.ts does: a handshake the test breaks off is reported as an 'error'.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  );
  const address = server.server.address();
  assert.ok(address !== null && typeof address === 'object');
  return { server, port: address.port };
}

/** The only connection of `server`. */
function onlyConnection(server: SMTPServer): ClientConnection {
  const all: ClientConnection[] = [];
  forEachConnection(server, (connection) => all.push(connection));
  assert.equal(all.length, 1);
  const [connection] = all;
  assert.ok(connection);
  return connection;
}

/** A watcher that writes down what it is told; `replace` may swap a reply. */
function recordingWatcher(
  events: string[],
  replace: (reply: OutgoingReply) => { code: number; text: string } | undefined = () => undefined,
): ConnectionWatcher {
  return {
    replacingReply(reply) {
      events.push(`reply ${String(reply.code)}${reply.unrecognizedCommandLimit ? ' limit' : ''}`);
      return replace(reply);
    },
    commandBytes: (chunk) => events.push(`command ${chunk.toString('latin1')}`),
    dataStarted: () => events.push('data-started'),
    dataBytes: (count) => events.push(`data ${String(count)}`),
    dataEnded: () => events.push('data-ended'),
    tlsHandshakeStarted: () => events.push('tls-started'),
    tlsHandshakeEnded: () => events.push('tls-ended'),
    closed: () => events.push('closed'),
  };
}

function hookError(responseCode: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode });
}

function closedSocket(socket: net.Socket): Promise<void> {
  socket.on('error', () => undefined);
  return new Promise((resolve) => {
    if (socket.closed) resolve();
    else
      socket.once('close', () => {
        resolve();
      });
  });
}

/**
 * smtp-server reports an implicit-TLS handshake broken off as an 'error' once
 * its TLS socket is torn down. A test must wait for that: a test process that
 * ended sooner crashed (SIGSEGV, Node 24).
 */
function handshakeBrokenOff(server: SMTPServer): Promise<unknown> {
  return new Promise((resolve) => server.once('error', resolve));
}

async function rawConnection(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('connect', resolve));
  return socket;
}

describe('smtp-server 3.21.6 as the adapter uses it', () => {
  let certs: GeneratedCertificates;
  before(async () => {
    certs = await generateCertificates();
  });
  after(async () => {
    await certs.cleanup();
  });
  const withTls = (): SMTPServerOptions => ({ key: certs.key, cert: certs.cert });

  describe('the server', () => {
    it('connect(): each session is our connection, in `connections` until it closes', async (t) => {
      const watched: ClientConnection[] = [];
      let sessionId: string | undefined;
      const { server, port } = await listen(
        t,
        {
          onConnect(session, callback) {
            sessionId = session.id;
            callback();
          },
        },
        {
          ...NO_EXTRAS,
          watchConnection(connection) {
            watched.push(connection);
            return recordingWatcher([]);
          },
        },
      );
      const client = await smtpConversation({ port });
      assert.equal(onlyConnection(server).id, sessionId);
      assert.deepEqual(
        watched.map((connection) => connection.id),
        [sessionId],
      );
      assert.equal(openConnectionCount(server), 1);
      const [connection] = watched;
      assert.ok(connection);
      assert.equal(connection.closing, false);
      await client.send('QUIT');
      await waitFor(() => openConnectionCount(server) === 0, {
        description: 'the connection to leave `connections`',
      });
      assert.equal(connection.closing, true);
      await client.close();
    });

    it("connect(): a connection's error reaches the server's 'error' event", async (t) => {
      const { server, port } = await listen(t, { ...withTls(), disabledCommands: ['AUTH'] });
      const error = new Promise<Error>((resolve) => server.once('error', resolve));
      const client = await smtpConversation({ port });
      await client.send('EHLO printer.lan');
      assert.equal((await client.send('STARTTLS')).code, 220);
      client.sendRaw('this is no TLS ClientHello\r\n');
      assert.ok((await error) instanceof Error);
      await client.close();
    });

    it('the session ids of smtp-server and ours have one format', async (t) => {
      const ids: string[] = [];
      const onConnect = (session: SMTPServerSession, callback: () => void): void => {
        ids.push(session.id);
        callback();
      };
      const library = await listen(t, { onConnect });
      const ours = await listen(
        t,
        { onConnect },
        {
          ...NO_EXTRAS,
          preSession: {
            accept: (pending) => pending.admitByLibrary(),
            readProxyHeader: (_socket, outcome) => {
              outcome.start(undefined);
            },
          },
        },
      );
      for (const port of [library.port, ours.port])
        await (await smtpConversation({ port })).close();
      assert.equal(ids.length, 2);
      for (const id of ids) assert.match(id, SESSION_ID);
    });
  });

  describe('replies', () => {
    it('send(code, text, false): the text is written exactly, without an enhanced code; a 421 closes', async (t) => {
      const { server, port } = await listen(t, {});
      const client = await smtpConversation({ port });
      await client.send('EHLO printer.lan');
      const connection = onlyConnection(server);
      connection.sendReply(250, 'as it is');
      assert.deepEqual(await client.readReply(), {
        code: 250,
        lines: ['as it is'],
        text: 'as it is',
      });
      connection.sendReply(421, '4.3.2 Shutting down');
      assert.deepEqual((await client.readReply()).lines, ['4.3.2 Shutting down']);
      assert.equal(connection.closing, true);
      assert.equal(openConnectionCount(server), 0);
      await client.close();
    });

    it("send(): every reply passes through it, the library's own and a hook's refusal; a replacement is written as it is", async (t) => {
      const events: string[] = [];
      const { port } = await listen(
        t,
        {
          onMailFrom(_address, _session, callback) {
            callback(hookError(550, 'Sender refused'));
          },
        },
        {
          ...NO_EXTRAS,
          watchConnection: () =>
            recordingWatcher(events, (reply) =>
              reply.code === 503 ? { code: 421, text: '4.7.0 Enough' } : undefined,
            ),
        },
      );
      const client = await smtpConversation({ port });
      await client.send('EHLO printer.lan');
      assert.equal((await client.send('FOO')).code, 500);
      assert.equal((await client.send('MAIL FROM:<scan@example.com>')).code, 550);
      // The library's own 503 (no MAIL yet), replaced.
      const replaced = await client.send('RCPT TO:<boss@example.com>');
      assert.equal(replaced.code, 421);
      assert.deepEqual(replaced.lines, ['4.7.0 Enough']);
      assert.deepEqual(
        events.filter((event) => event.startsWith('reply')),
        ['reply 220', 'reply 250', 'reply 500', 'reply 550', 'reply 503'],
      );
      await client.close();
    });

    it('send(): the enhanced code comes from the basic code alone, unless the text starts with its own', async (t) => {
      const { port } = await listen(
        t,
        {
          onMailFrom(address, _session, callback) {
            if (address.address.startsWith('own@')) {
              callback(hookError(550, '5.7.1 Relay access denied'));
            } else if (address.address.startsWith('library@')) {
              callback(hookError(550, 'Refused'));
            } else callback();
          },
          onData(stream, _session, callback) {
            stream.resume();
            stream.on('end', () => {
              callback(null, '2.0.0 Ok: queued as 4F2A');
            });
          },
        },
        { hasOwnEnhancedCode: (text) => OWN_ENHANCED_CODE.test(text) },
      );
      const client = await smtpConversation({ port });
      await client.send('EHLO printer.lan');
      // Why our replies carry their own code: 550 always becomes 5.1.1 ...
      assert.deepEqual((await client.send('MAIL FROM:<library@example.com>')).lines, [
        '5.1.1 Refused',
      ]);
      assert.deepEqual((await client.send('MAIL FROM:<own@example.com>')).lines, [
        '5.7.1 Relay access denied',
      ]);
      assert.deepEqual((await client.send('MAIL FROM:<scan@example.com>')).lines, [
        '2.1.0 Accepted',
      ]);
      await client.send('RCPT TO:<boss@example.com>');
      await client.send('DATA');
      client.sendRaw(BODY);
      // ... and the 250 after DATA 2.6.0.
      assert.deepEqual((await client.readReply()).lines, ['2.0.0 Ok: queued as 4F2A']);
      await client.close();
    });

    it("the 10th unrecognized command: smtp-server's own 421, told apart from its other 421s", async (t) => {
      const events: string[] = [];
      const { port } = await listen(
        t,
        {},
        {
          ...NO_EXTRAS,
          watchConnection: () => recordingWatcher(events),
        },
      );
      const client = await smtpConversation({ port });
      await client.send('EHLO printer.lan');
      for (let i = 1; i < 10; i += 1) assert.equal((await client.send('FOO')).code, 500);
      const last = await client.send('FOO');
      assert.equal(last.code, 421);
      assert.match(last.text, /too many unrecognized commands/);
      assert.deepEqual(
        events.filter((event) => event.startsWith('reply')),
        ['reply 220', 'reply 250', ...Array<string>(9).fill('reply 500'), 'reply 421 limit'],
      );
      await client.close();
    });
  });

  describe('the session', () => {
    it('session.envelope.mailFrom: none before the greeting, set from MAIL FROM until the transaction ends or RSET', async (t) => {
      let beforeGreeting: boolean | undefined;
      let duringData: boolean | undefined;
      const { server, port } = await listen(
        t,
        {
          onData(stream, _session, callback) {
            duringData = onlyConnection(server).inTransaction;
            stream.resume();
            stream.on('end', () => {
              callback();
            });
          },
        },
        {
          ...NO_EXTRAS,
          watchConnection(connection) {
            beforeGreeting = connection.inTransaction;
            return recordingWatcher([]);
          },
        },
      );
      const client = await smtpConversation({ port });
      const inTransaction = (): boolean => onlyConnection(server).inTransaction;
      assert.equal(beforeGreeting, false);
      await client.send('EHLO printer.lan');
      assert.equal(inTransaction(), false);
      await client.send('MAIL FROM:<scan@example.com>');
      assert.equal(inTransaction(), true);
      await client.send('RSET');
      assert.equal(inTransaction(), false);
      await client.send('MAIL FROM:<scan@example.com>');
      await client.send('RCPT TO:<boss@example.com>');
      await client.send('DATA');
      client.sendRaw(BODY);
      assert.equal((await client.readReply()).code, 250);
      assert.equal(duringData, true);
      assert.equal(inTransaction(), false);
      await client.close();
    });

    it('_handlerPending: the client waits for us while a hook runs, not while it is idle', async (t) => {
      let behindInHook: boolean | undefined;
      const { server, port } = await listen(t, {
        onMailFrom(_address, _session, callback) {
          behindInHook = onlyConnection(server).serverIsBehind;
          setImmediate(callback);
        },
      });
      const client = await smtpConversation({ port });
      await client.send('EHLO printer.lan');
      assert.equal(onlyConnection(server).serverIsBehind, false);
      await client.send('MAIL FROM:<scan@example.com>');
      assert.equal(behindInHook, true);
      assert.equal(onlyConnection(server).serverIsBehind, false);
      await client.close();
    });

    it("session.disabledCommands: replaces the server's list for that session only, in EHLO and for the command", async (t) => {
      let sessions = 0;
      const { port } = await listen(t, {
        ...withTls(),
        disabledCommands: [],
        allowInsecureAuth: true,
        authMethods: ['PLAIN'],
        onAuth(auth, _session, callback) {
          callback(null, { user: auth.username });
        },
        onConnect(session, callback) {
          sessions += 1;
          if (sessions === 1) setDisabledCommands(session, ['AUTH']);
          callback();
        },
        onSecure(_socket, session, callback) {
          setDisabledCommands(session, []);
          callback();
        },
      });
      const first = await smtpConversation({ port });
      assert.ok(!(await first.send('EHLO printer.lan')).lines.includes('AUTH PLAIN'));
      assert.equal((await first.send('AUTH PLAIN AHByaW50ZXIAcGFzcw==')).code, 500);
      const second = await smtpConversation({ port });
      assert.ok((await second.send('EHLO printer.lan')).lines.includes('AUTH PLAIN'));
      await first.startTls({ ca: certs.caCert });
      assert.ok((await first.send('EHLO printer.lan')).lines.includes('AUTH PLAIN'));
      await first.close();
      await second.close();
    });
  });

  describe('connection seams', () => {
    it('handler_EHLO, handler_HELO: the command line without its ending; nothing else is read until answered', async (t) => {
      const lines: string[] = [];
      const behind: boolean[] = [];
      const events: string[] = [];
      const { server, port } = await listen(
        t,
        {},
        {
          hasOwnEnhancedCode: (text) => OWN_ENHANCED_CODE.test(text),
          watchConnection: () => recordingWatcher(events),
          onHelo(command) {
            lines.push(command.line);
            behind.push(onlyConnection(server).serverIsBehind);
            setImmediate(() => {
              if (command.line.startsWith('HELO')) command.refuse(550, '5.7.1 Not you');
              else command.proceed();
            });
          },
        },
      );
      const client = await smtpConversation({ port });
      // Pipelined: NOOP is answered only after the EHLO the check held back.
      client.sendRaw('EHLO printer.lan\r\nNOOP\r\n');
      const ehlo = await client.readReply();
      assert.equal(ehlo.code, 250);
      assert.ok(ehlo.lines.length > 1, 'the EHLO list comes first');
      assert.deepEqual((await client.readReply()).lines, ['2.0.0 OK']);
      const refused = await client.send('HELO printer.lan');
      assert.equal(refused.code, 550);
      assert.deepEqual(refused.lines, ['5.7.1 Not you']);
      assert.deepEqual(lines, ['EHLO printer.lan', 'HELO printer.lan']);
      assert.deepEqual(behind, [true, true]);
      assert.ok(events.includes('reply 550'), 'a refusal passes through send()');
      await client.close();
    });

    it('upgrade(): STARTTLS runs through it, the handshake ends after onSecure, and the new parser is watched', async (t) => {
      const events: string[] = [];
      const { port } = await listen(
        t,
        {
          ...withTls(),
          disabledCommands: ['AUTH'],
          onSecure(_socket, _session, callback) {
            events.push('onSecure');
            callback();
          },
        },
        { ...NO_EXTRAS, watchConnection: () => recordingWatcher(events) },
      );
      const client = await smtpConversation({ port });
      await client.send('EHLO printer.lan');
      await client.startTls({ ca: certs.caCert });
      await client.send('NOOP');
      const order = ['tls-started', 'onSecure', 'tls-ended', 'command NOOP\r\n'];
      assert.deepEqual(
        events.filter((event) => order.includes(event)),
        order,
      );
      await client.close();
    });

    it('the parser: _write gives command bytes, startDataMode the start of DATA, message bytes, _endDataMode the final dot', async (t) => {
      const events: string[] = [];
      const { port } = await listen(
        t,
        {
          onData(stream, _session, callback) {
            stream.resume();
            stream.on('end', () => {
              callback();
            });
          },
        },
        { ...NO_EXTRAS, watchConnection: () => recordingWatcher(events) },
      );
      const client = await smtpConversation({ port });
      await client.send('EHLO printer.lan');
      await client.send('MAIL FROM:<scan@example.com>');
      await client.send('RCPT TO:<boss@example.com>');
      await client.send('DATA');
      client.sendRaw(BODY);
      assert.equal((await client.readReply()).code, 250);
      await client.send('QUIT');
      // The library also writes what follows the final dot, an empty chunk here.
      const seen = events.filter((event) => !event.startsWith('reply') && event !== 'command ');
      const started = seen.indexOf('data-started');
      const ended = seen.indexOf('data-ended');
      assert.equal(
        seen.slice(0, started).join(''),
        [
          'command EHLO printer.lan\r\n',
          'command MAIL FROM:<scan@example.com>\r\n',
          'command RCPT TO:<boss@example.com>\r\n',
          'command DATA\r\n',
        ].join(''),
      );
      const message = seen.slice(started + 1, ended);
      assert.ok(message.every((event) => event.startsWith('data ')));
      const bytes = message.reduce((sum, event) => sum + Number(event.slice(5)), 0);
      assert.equal(bytes, Buffer.byteLength(BODY));
      assert.equal(seen[ended + 1], 'command QUIT\r\n');
      await client.close();
    });

    it('close(), _onClose(): the watcher hears of the end, whoever ends the connection', async (t) => {
      const events: string[] = [];
      const { server, port } = await listen(
        t,
        {},
        {
          ...NO_EXTRAS,
          watchConnection: () => recordingWatcher(events),
        },
      );
      const client = await smtpConversation({ port });
      await client.close();
      await waitFor(() => openConnectionCount(server) === 0, {
        description: 'the client to leave',
      });
      assert.ok(events.includes('closed'));
      events.length = 0;
      const quitting = await smtpConversation({ port });
      await quitting.send('QUIT');
      assert.ok(events.includes('closed'));
      await quitting.close();
    });
  });

  describe('the greeting (docs/adr/013)', () => {
    /** Sends `line` right after connecting, before any reply, then reads until `done` or the close. */
    async function earlyTalker(port: number, line: string, done: RegExp): Promise<string> {
      const socket = await rawConnection(port);
      socket.write(`${line}\r\n`);
      let text = '';
      await new Promise<void>((resolve) => {
        socket.on('data', (chunk: Buffer) => {
          text += chunk.toString('latin1');
          if (done.test(text)) resolve();
        });
        socket.once('close', () => {
          resolve();
        });
      });
      socket.destroy();
      return text;
    }

    it("the library's own init(): a fixed delay before the greeting, so a client that talks first gets its 421 You talk too soon", async (t) => {
      const { SMTPServer } = await import('smtp-server');
      const server = new SMTPServer({ ...BASE });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      t.after(
        () =>
          new Promise<void>((resolve) => {
            server.close(() => {
              resolve();
            });
          }),
      );
      const address = server.server.address();
      assert.ok(address !== null && typeof address === 'object');
      const text = await earlyTalker(address.port, 'EHLO printer.lan', /^421 /m);
      assert.match(text, /^421 relay\.test You talk too soon\r\n/);
    });

    it('init() with greetingDelayMs 0: _setListeners, then connectionReady at once; an EHLO sent before the 220 gets a normal session', async (t) => {
      // onConnect answers at once (smtp-server's default waits a setImmediate;
      // until onConnect answers, a command still gets the 421 You talk too soon).
      const { port } = await listen(
        t,
        {
          onConnect: (_session, callback) => {
            callback();
          },
        },
        { ...NO_EXTRAS, greetingDelayMs: 0 },
      );
      const text = await earlyTalker(port, 'EHLO printer.lan', /^250 /m);
      const codes = text
        .split('\r\n')
        .filter((line) => / /.test(line))
        .map((line) => line.slice(0, 3));
      assert.equal(codes[0], '220');
      assert.equal(codes.at(-1), '250');
      assert.doesNotMatch(text, /too soon/);
    });

    it('init() with greetingDelayMs set: connectionReady after it; a client that talks first gets the 421 You talk too soon, and no 220', async (t) => {
      const { port } = await listen(
        t,
        {
          onConnect: (_session, callback) => {
            callback();
          },
        },
        { ...NO_EXTRAS, greetingDelayMs: 300 },
      );
      const text = await earlyTalker(port, 'EHLO printer.lan', /^421 /m);
      assert.match(text, /^421 relay\.test You talk too soon\r\n/);
      assert.doesNotMatch(text, /^220 /m);
    });

    it('init() with greetingDelayMs set: a client that waits gets its 220 and a normal session', async (t) => {
      const { port } = await listen(t, {}, { ...NO_EXTRAS, greetingDelayMs: 50 });
      const client = await smtpConversation({ port });
      assert.equal((await client.send('EHLO printer.lan')).code, 250);
      await client.close();
    });

    it('init(): beyond maxClients sessions a plain connection gets the 421 Too many connected clients, without an enhanced code', async (t) => {
      const { port } = await listen(t, { maxClients: 1 }, { ...NO_EXTRAS, greetingDelayMs: 0 });
      const first = await smtpConversation({ port });
      const second = await rawConnection(port);
      let text = '';
      second.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
      });
      await closedSocket(second);
      assert.equal(text, '421 relay.test Too many connected clients, try again in a moment\r\n');
      await first.close();
    });
  });

  describe('before the session', () => {
    const admitting = (seen: PendingSocket[]): ServerBehaviour => ({
      ...NO_EXTRAS,
      preSession: {
        accept(pending) {
          seen.push(pending);
          return pending.admitByLibrary();
        },
      },
    });

    it('_acceptSocket(socket, handshake): every accepted socket, handshake true on the implicit-TLS listener only', async (t) => {
      const seen: PendingSocket[] = [];
      const plain = await listen(t, {}, admitting(seen));
      const secure = await listen(t, { ...withTls(), secure: true }, admitting(seen));
      await (await smtpConversation({ port: plain.port })).close();
      await (
        await smtpConversation({ port: secure.port, tls: { implicit: true, ca: certs.caCert } })
      ).close();
      assert.deepEqual(
        seen.map((pending) => pending.tlsHandshake),
        [false, true],
      );
    });

    it('_acceptSocket: the release it returns is called once the handshake is done, before the session starts', async (t) => {
      const events: string[] = [];
      const { port } = await listen(
        t,
        {
          ...withTls(),
          secure: true,
          onConnect(_session, callback) {
            events.push('onConnect');
            callback();
          },
        },
        {
          ...NO_EXTRAS,
          preSession: {
            accept(pending) {
              const release = pending.admitByLibrary();
              return (
                release &&
                (() => {
                  events.push('released');
                  release();
                })
              );
            },
          },
        },
      );
      await (await smtpConversation({ port, tls: { implicit: true, ca: certs.caCert } })).close();
      assert.deepEqual(events.slice(0, 2), ['released', 'onConnect']);
    });

    it("_acceptSocket: smtp-server's own admission refuses a socket beyond maxClients still without a session", async (t) => {
      const admitted: boolean[] = [];
      const { server, port } = await listen(
        t,
        { ...withTls(), secure: true, maxClients: 1 },
        {
          ...NO_EXTRAS,
          preSession: {
            accept(pending) {
              const release = pending.admitByLibrary();
              admitted.push(release !== false);
              return release;
            },
          },
        },
      );
      // Neither sends a ClientHello: both stay without a session.
      const first = await rawConnection(port);
      await waitFor(() => admitted.length === 1, { description: 'the first socket accepted' });
      const second = await rawConnection(port);
      await closedSocket(second);
      assert.deepEqual(admitted, [true, false]);
      const broken = handshakeBrokenOff(server);
      first.destroy();
      await broken;
    });

    it("_acceptSocket: smtp-server's guard of a pending socket is the socket's idle timeout", async (t) => {
      const timeouts: (number | undefined)[] = [];
      const { server, port } = await listen(
        t,
        { ...withTls(), secure: true, socketTimeout: 30_000 },
        {
          ...NO_EXTRAS,
          preSession: {
            accept(pending) {
              const release = pending.admitByLibrary();
              timeouts.push(pending.socket.timeout);
              pending.stopLibraryIdleTimer();
              timeouts.push(pending.socket.timeout);
              return release;
            },
          },
        },
      );
      const client = await rawConnection(port);
      await waitFor(() => timeouts.length === 2, { description: 'the socket accepted' });
      assert.deepEqual(timeouts, [30_000, 0]);
      const broken = handshakeBrokenOff(server);
      client.destroy();
      await broken;
    });

    it('_pendingSockets: the accepted socket maps to the TLS socket on top of it once the handshake began', async (t) => {
      const seen: PendingSocket[] = [];
      const { server, port } = await listen(t, { ...withTls(), secure: true }, admitting(seen));
      const client = await rawConnection(port);
      const pending = await waitFor(() => seen[0], { description: 'the socket accepted' });
      const top = await waitFor(
        () => {
          const socket = pending.topmost();
          return socket !== pending.socket && socket;
        },
        { description: 'the TLS socket on top' },
      );
      assert.ok(top instanceof tls.TLSSocket);
      const broken = handshakeBrokenOff(server);
      top.destroy();
      await Promise.all([broken, closedSocket(client)]);
    });

    it('_expectsProxyHeader true: a plain socket is held as pending too (its idle timeout armed)', async (t) => {
      const timeouts: (number | undefined)[] = [];
      const behaviour = (readsHeader: boolean): ServerBehaviour => ({
        ...NO_EXTRAS,
        preSession: {
          accept(pending) {
            const release = pending.admitByLibrary();
            timeouts.push(pending.socket.timeout);
            return release;
          },
          readProxyHeader: readsHeader
            ? (_socket, outcome) => {
                outcome.start(undefined);
              }
            : undefined,
        },
      });
      const options = { socketTimeout: 30_000 };
      const without = await listen(t, options, behaviour(false));
      const withHeader = await listen(t, options, behaviour(true));
      await (await smtpConversation({ port: without.port })).close();
      await (await smtpConversation({ port: withHeader.port })).close();
      assert.deepEqual(timeouts, [undefined, 30_000]);
    });

    it("_handleProxy: the options it answers with become the session's id, remoteAddress and remotePort", async (t) => {
      const given: string[] = [];
      const sessions: { id: string; remoteAddress: string; remotePort: number }[] = [];
      const { port } = await listen(
        t,
        {
          onConnect(session, callback) {
            const { id, remoteAddress, remotePort } = session;
            sessions.push({ id, remoteAddress, remotePort });
            callback();
          },
        },
        {
          ...NO_EXTRAS,
          preSession: {
            accept: (pending) => pending.admitByLibrary(),
            readProxyHeader(_socket, outcome) {
              given.push(outcome.sessionId);
              outcome.start(
                given.length === 1 ? { address: '203.0.113.7', port: 40000 } : undefined,
              );
            },
          },
        },
      );
      await (await smtpConversation({ port })).close();
      await (await smtpConversation({ port })).close();
      assert.equal(sessions.length, 2);
      assert.deepEqual(sessions[0], {
        id: given[0],
        remoteAddress: '203.0.113.7',
        remotePort: 40000,
      });
      // No client given: the peer's own address stays.
      assert.equal(sessions[1]?.id, given[1]);
      assert.equal(sessions[1]?.remoteAddress, '127.0.0.1');
    });

    it('_handleProxy: an error answer starts no session', async (t) => {
      const { server, port } = await listen(
        t,
        {},
        {
          ...NO_EXTRAS,
          preSession: {
            accept: (pending) => pending.admitByLibrary(),
            readProxyHeader(socket, outcome) {
              socket.destroy();
              outcome.drop('refused by the test');
            },
          },
        },
      );
      await closedSocket(await rawConnection(port));
      assert.equal(openConnectionCount(server), 0);
    });

    it('_handleProxy on the implicit-TLS listener: the header is read before the TLS handshake', async (t) => {
      const addresses: string[] = [];
      const { port } = await listen(
        t,
        {
          ...withTls(),
          secure: true,
          onConnect(session, callback) {
            addresses.push(session.remoteAddress);
            callback();
          },
        },
        {
          ...NO_EXTRAS,
          preSession: {
            accept: (pending) => pending.admitByLibrary(),
            readProxyHeader(socket, outcome) {
              readProxyHandshake(socket, (result) => {
                if (result.ok) outcome.start(result.source);
                else outcome.drop(result.reason);
              });
            },
          },
        },
      );
      const raw = await rawConnection(port);
      raw.write('PROXY TCP4 203.0.113.9 192.0.2.1 40001 465\r\n');
      const secured = tls.connect({ socket: raw, ca: certs.caCert, servername: 'localhost' });
      const greeting = await new Promise<string>((resolve, reject) => {
        secured.once('data', (chunk: Buffer) => {
          resolve(chunk.toString('latin1'));
        });
        secured.once('error', reject);
      });
      assert.match(greeting, /^220 relay\.test ESMTP/);
      assert.deepEqual(addresses, ['203.0.113.9']);
      secured.destroy();
      await closedSocket(raw);
    });
  });

  describe('the logger option', () => {
    it('logs what session-transcripts.ts reads: commands, replies, the DATA size and the end, with the session id as cid', async (t) => {
      const calls: { level: string; fields: Record<string, unknown>; args: unknown[] }[] = [];
      const record =
        (level: string) =>
        (fields: Record<string, unknown>, ...args: unknown[]): void => {
          calls.push({ level, fields, args });
        };
      const logger = Object.fromEntries(
        ['trace', 'debug', 'info', 'warn', 'error', 'fatal'].map((level) => [level, record(level)]),
      );
      let sessionId: string | undefined;
      const { port } = await listen(t, {
        logger,
        disabledCommands: ['STARTTLS'],
        allowInsecureAuth: true,
        authMethods: ['LOGIN'],
        onConnect(session, callback) {
          sessionId = session.id;
          callback();
        },
        onAuth(auth, _session, callback) {
          callback(null, { user: auth.username });
        },
        onData(stream, _session, callback) {
          stream.resume();
          stream.on('end', () => {
            callback();
          });
        },
      });
      const client = await smtpConversation({ port });
      await client.send('EHLO printer.lan');
      await client.send('AUTH LOGIN');
      await client.send(Buffer.from('printer').toString('base64'));
      await client.send(Buffer.from('printer-pass').toString('base64'));
      await client.send('MAIL FROM:<scan@example.com>');
      await client.send('RCPT TO:<boss@example.com>');
      await client.send('DATA');
      client.sendRaw(BODY);
      await client.readReply();
      await client.send('QUIT');
      const ofSession = (tnx: string): typeof calls =>
        calls.filter((call) => call.fields['tnx'] === tnx && call.fields['cid'] === sessionId);
      await waitFor(() => ofSession('close').length > 0, { description: 'the close entry' });

      const commands = ofSession('command');
      assert.ok(commands.every((call) => call.level === 'debug' && call.args[0] === 'C:'));
      assert.deepEqual(commands[0]?.args[1], 'EHLO printer.lan');
      // The continuation lines of an AUTH exchange are logged as command AUTH.
      assert.deepEqual(
        commands.slice(1, 4).map((call) => call.fields['command']),
        ['AUTH', 'AUTH', 'AUTH'],
      );
      const sent = ofSession('send');
      assert.ok(sent.every((call) => call.level === 'debug' && call.args[0] === 'S:'));
      const ehlo = sent.map((call) => call.args[1]).find((text) => String(text).startsWith('250-'));
      assert.match(String(ehlo), /^250-relay\.test .*\r\n250-/s);
      const [data] = ofSession('data').filter((call) => call.level === 'debug');
      assert.ok(data);
      assert.equal(data.args[0], 'C: <%s bytes of DATA>');
      // The message without its final dot line.
      assert.equal(data.fields['bytes'], Buffer.byteLength(BODY) - 3);
      assert.ok(ofSession('close').every((call) => call.level === 'info'));
      await client.close();
    });
  });
});
