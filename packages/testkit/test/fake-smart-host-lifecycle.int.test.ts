import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { smtpConversation, startFakeSmartHost, type FakeSmartHost } from '../src/index.ts';
import { sendError, sendRawMessage } from './send-raw-message.ts';

describe('fake smart host outage and recovery', () => {
  let host: FakeSmartHost;
  before(async () => {
    host = await startFakeSmartHost({ tls: 'none' });
  });
  after(() => host.close());

  it('stop() refuses connections, start() serves again on the same port', async () => {
    const { port } = host;
    await host.stop();
    assert.equal(host.listening, false);
    const error = await sendError(sendRawMessage(port, {}));
    assert.equal(error.code, 'ESOCKET');
    assert.match(error.message, /ECONNREFUSED/);

    await host.start();
    assert.equal(host.listening, true);
    assert.equal(host.port, port);
    await sendRawMessage(port, {});
    await host.waitForMessages(1);
  });

  it('stop() drops open sessions at once instead of waiting for them', async () => {
    const conversation = await smtpConversation({ port: host.port });
    assert.equal((await conversation.send('EHLO client.test')).code, 250);
    const stopped = Date.now();
    await host.stop();
    assert.ok(Date.now() - stopped < 1_000);
    await assert.rejects(conversation.send('NOOP', 2_000), /Connection (closed|error)/);
    await conversation.close();
    await host.start();
  });

  it('stop() during a slow DATA reply loses the message, as a crash would', async () => {
    host.reset();
    host.setSlow(5_000);
    const send = sendError(sendRawMessage(host.port, {}));
    await host.waitForEvent((e) => e.type === 'rcpt-to');
    await host.stop();
    const error = await send;
    assert.equal(error.code, 'ECONNECTION');
    assert.equal(host.messages.length, 0);
    host.setSlow(0);
    await host.start();
  });

  it('records a client that leaves mid-DATA as data-aborted, not as a message', async () => {
    host.reset();
    const smtp = await smtpConversation({ port: host.port });
    await smtp.send('EHLO client.test');
    await smtp.send('MAIL FROM:<a@client.test>');
    await smtp.send('RCPT TO:<b@dest.test>');
    assert.equal((await smtp.send('DATA')).code, 354);
    smtp.sendRaw('Subject: cut off\r\n\r\nhalf a bo');
    await smtp.close();
    await host.waitForEvent((e) => e.type === 'data-aborted');
    await host.waitForEvent((e) => e.type === 'close');
    assert.equal(host.messages.length, 0);
  });

  it('reset() clears messages and events in place', async () => {
    const { messages, events } = host;
    await sendRawMessage(host.port, {});
    await host.waitForMessages(1);
    host.reset();
    assert.equal(messages.length, 0);
    assert.equal(events.length, 0);
    assert.equal(host.messages, messages);
  });

  it('close() is idempotent', async () => {
    const other = await startFakeSmartHost({ tls: 'none' });
    await other.close();
    await other.close();
    assert.equal(other.listening, false);
  });
});
