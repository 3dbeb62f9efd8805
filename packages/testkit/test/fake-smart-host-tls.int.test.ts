import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  generateCertificates,
  startFakeSmartHost,
  type FakeSmartHost,
  type GeneratedCertificates,
} from '../src/index.ts';
import { RAW_MESSAGE, sendError, sendRawMessage } from './send-raw-message.ts';

describe('fake smart host TLS modes', () => {
  let certs: GeneratedCertificates;
  const hosts: FakeSmartHost[] = [];
  before(async () => {
    certs = await generateCertificates();
  });
  after(async () => {
    await Promise.all(hosts.map((host) => host.close()));
    await certs.cleanup();
  });
  const start = async (options: Parameters<typeof startFakeSmartHost>[0]) => {
    const host = await startFakeSmartHost(options);
    hosts.push(host);
    return host;
  };

  it('implicit: receives a message over TLS from the first byte', async () => {
    const host = await start({ tls: 'implicit', certificate: certs });
    const info = await sendRawMessage(host.port, { secure: true, tls: { ca: certs.caCert } });
    const [message] = await host.waitForMessages(1);
    assert.ok(message);
    assert.equal(message.secure, true);
    assert.deepEqual(message.data, RAW_MESSAGE);
    assert.equal(message.mailFrom, 'sender@client.test');
    assert.deepEqual(message.rcptTo, ['rcpt@dest.test']);
    assert.equal(message.ehloName, 'relay.client.test');
    assert.equal(info.response, `250 2.0.0 Ok: queued as ${message.queueId}`);
    assert.ok(host.events.some((e) => e.type === 'tls' && e.protocol?.startsWith('TLSv1.')));
  });

  it('starttls: advertises STARTTLS and the client upgrades (requireTLS)', async () => {
    const host = await start({ tls: 'starttls', certificate: certs });
    await sendRawMessage(host.port, { requireTLS: true, tls: { ca: certs.caCert } });
    const [message] = await host.waitForMessages(1);
    assert.equal(message?.secure, true);
    assert.deepEqual(message.data, RAW_MESSAGE);
  });

  it('none: plaintext only, STARTTLS is refused', async () => {
    const host = await start({ tls: 'none' });
    await sendRawMessage(host.port, {});
    const [message] = await host.waitForMessages(1);
    assert.equal(message?.secure, false);

    const error = await sendError(sendRawMessage(host.port, { requireTLS: true }));
    assert.equal(error.code, 'ETLS');
    assert.equal(host.messages.length, 1);
  });

  it('keeps the null sender as an empty mailFrom', async () => {
    const host = await start({ tls: 'none' });
    await sendRawMessage(host.port, {}, { from: '', to: ['rcpt@dest.test'] });
    const [message] = await host.waitForMessages(1);
    assert.equal(message?.mailFrom, '');
  });

  it('a client that verifies against the system store refuses the throwaway certificate', async () => {
    const host = await start({ tls: 'implicit', certificate: certs });
    const error = await sendError(sendRawMessage(host.port, { secure: true }));
    assert.match(error.message, /unable to verify/i);
    assert.equal(host.messages.length, 0);
  });

  it('refuses to start TLS modes without a certificate (no built-in fallback)', async () => {
    await assert.rejects(startFakeSmartHost({ tls: 'implicit' }), /needs options.certificate/);
    await assert.rejects(startFakeSmartHost({ tls: 'starttls' }), /needs options.certificate/);
  });
});
