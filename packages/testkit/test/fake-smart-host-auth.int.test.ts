import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  generateCertificates,
  smtpConversation,
  startFakeSmartHost,
  type FakeSmartHost,
  type GeneratedCertificates,
} from '../src/index.ts';
import { sendError, sendRawMessage } from './send-raw-message.ts';

const credentials = { username: 'relay', password: 's3cret' };

describe('fake smart host AUTH', () => {
  let certs: GeneratedCertificates;
  let host: FakeSmartHost;
  before(async () => {
    certs = await generateCertificates();
    host = await startFakeSmartHost({ tls: 'implicit', certificate: certs, auth: credentials });
  });
  after(async () => {
    await host.close();
    await certs.cleanup();
  });
  const send = (authMethod: string, pass = credentials.password) =>
    sendRawMessage(host.port, {
      secure: true,
      tls: { ca: certs.caCert },
      auth: { user: credentials.username, pass },
      authMethod,
    });

  for (const method of ['PLAIN', 'LOGIN', 'CRAM-MD5']) {
    it(`records ${method} as the mechanism of the session`, async () => {
      host.reset();
      await send(method);
      const [message] = await host.waitForMessages(1);
      assert.equal(message?.authMethod, method);
      assert.equal(message.authUser, 'relay');
      const auth = host.events.find((e) => e.type === 'auth');
      assert.deepEqual(auth && { ...auth, at: undefined, sessionId: undefined }, {
        type: 'auth',
        method,
        username: 'relay',
        success: true,
        reply: { code: 235, message: 'Authentication successful' },
        at: undefined,
        sessionId: undefined,
      });
    });
  }

  for (const method of ['PLAIN', 'CRAM-MD5']) {
    it(`answers a wrong password with 535 (${method})`, async () => {
      host.reset();
      const error = await sendError(send(method, 'wrong'));
      assert.equal(error.code, 'EAUTH');
      assert.equal(error.responseCode, 535);
      assert.match(String(error.response), /^535 5\.7\.8 /);
      const auth = await host.waitForEvent((e) => e.type === 'auth');
      assert.equal(auth.type === 'auth' && auth.success, false);
      assert.equal(host.messages.length, 0);
    });
  }

  it('requires AUTH before MAIL by default (530)', async () => {
    const error = await sendError(
      sendRawMessage(host.port, { secure: true, tls: { ca: certs.caCert } }),
    );
    assert.equal(error.responseCode, 530);
  });

  it('a scripted auth reply overrides the credential check (454 temporary failure)', async () => {
    host.setScript({
      auth: () => ({ code: 454, message: '4.7.0 Temporary authentication failure' }),
    });
    try {
      const error = await sendError(send('PLAIN'));
      assert.equal(error.responseCode, 454);
    } finally {
      host.setScript({});
    }
  });
});

describe('fake smart host AUTH options', () => {
  const hosts: FakeSmartHost[] = [];
  let certs: GeneratedCertificates;
  before(async () => {
    certs = await generateCertificates();
  });
  after(async () => {
    await Promise.all(hosts.map((h) => h.close()));
    await certs.cleanup();
  });
  const start = async (options: Parameters<typeof startFakeSmartHost>[0]) => {
    const host = await startFakeSmartHost(options);
    hosts.push(host);
    return host;
  };

  it('advertises only the configured mechanisms, and AUTH only after STARTTLS', async () => {
    const host = await start({
      tls: 'starttls',
      certificate: certs,
      auth: { ...credentials, methods: ['LOGIN'] },
    });
    const conversation = await smtpConversation({ port: host.port });
    try {
      const before = await conversation.send('EHLO client.test');
      assert.ok(before.lines.includes('STARTTLS'));
      assert.equal((await conversation.send('AUTH PLAIN AHJlbGF5AHMzY3JldA==')).code, 538);
      await conversation.startTls({ ca: certs.caCert });
      const after = await conversation.send('EHLO client.test');
      assert.ok(after.lines.includes('AUTH LOGIN'), after.text);
      assert.equal((await conversation.send('AUTH PLAIN AHJlbGF5AHMzY3JldA==')).code, 504);
    } finally {
      await conversation.close();
    }
  });

  it('required: false lets unauthenticated mail through', async () => {
    const host = await start({
      tls: 'implicit',
      certificate: certs,
      auth: { ...credentials, required: false },
    });
    await sendRawMessage(host.port, { secure: true, tls: { ca: certs.caCert } });
    const [message] = await host.waitForMessages(1);
    assert.equal(message?.authMethod, undefined);
  });

  it('cleartext AUTH needs allowInsecureAuth', async () => {
    await assert.rejects(
      startFakeSmartHost({ tls: 'none', auth: credentials }),
      /needs allowInsecureAuth/,
    );
    const host = await start({ tls: 'none', auth: credentials, allowInsecureAuth: true });
    await sendRawMessage(host.port, {
      auth: { user: 'relay', pass: 's3cret' },
      authMethod: 'LOGIN',
    });
    const [message] = await host.waitForMessages(1);
    assert.equal(message?.authMethod, 'LOGIN');
    assert.equal(message.secure, false);
  });
});
