import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { smtpConversation, startFakeSmartHost, type FakeSmartHost } from '../src/index.ts';
import { sendError, sendRawMessage } from './send-raw-message.ts';

describe('fake smart host scripted replies', () => {
  let host: FakeSmartHost;
  before(async () => {
    host = await startFakeSmartHost({ tls: 'none' });
  });
  afterEach(() => {
    host.setScript({});
    host.setSlow(0);
    host.reset();
  });
  after(() => host.close());

  it('built-in convention: tempfail* gets 451, reject* gets 550, in one message', async () => {
    const to = ['ok@dest.test', 'tempfail-1@dest.test', 'Reject.me@dest.test'];
    const info = await sendRawMessage(host.port, {}, { from: 'sender@client.test', to });
    assert.deepEqual(info.accepted, ['ok@dest.test']);
    assert.deepEqual(
      info.rejectedErrors?.map((e) => [e.recipient, e.responseCode, e.response]),
      [
        ['tempfail-1@dest.test', 451, '451 4.7.1 Try again later'],
        ['Reject.me@dest.test', 550, '550 5.1.1 No such user'],
      ],
    );
    const [message] = await host.waitForMessages(1);
    assert.deepEqual(message?.rcptTo, ['ok@dest.test']);
    const rcptEvents = host.events.filter((e) => e.type === 'rcpt-to');
    assert.deepEqual(
      rcptEvents.map((e) => e.reply.code),
      [250, 451, 550],
    );
  });

  it('a script decides per recipient and takes precedence over the convention', async () => {
    host.setScript({
      rcptTo: (address) =>
        address.startsWith('reject')
          ? { code: 250, message: 'Accepted anyway' }
          : address === 'busy@dest.test'
            ? { code: 452, message: '4.2.2 Mailbox full' }
            : undefined,
    });
    const to = ['reject@dest.test', 'busy@dest.test'];
    const info = await sendRawMessage(host.port, {}, { from: 'a@client.test', to });
    assert.deepEqual(info.accepted, ['reject@dest.test']);
    assert.equal(info.rejectedErrors?.[0]?.responseCode, 452);
  });

  it('refuses MAIL FROM with a scripted 553', async () => {
    host.setScript({ mailFrom: () => ({ code: 553, message: '5.7.1 Sender not allowed' }) });
    const error = await sendError(sendRawMessage(host.port, {}));
    assert.equal(error.code, 'EENVELOPE');
    assert.equal(error.response, '553 5.7.1 Sender not allowed');
  });

  it('refuses after DATA with a scripted reply that sees the message', async () => {
    host.setScript({
      data: (message) =>
        message.data.includes('Subject: hello')
          ? { code: 554, message: '5.6.0 Content rejected' }
          : undefined,
    });
    const error = await sendError(sendRawMessage(host.port, {}));
    assert.equal(error.code, 'EMESSAGE');
    assert.equal(error.response, '554 5.6.0 Content rejected');
    assert.equal(host.messages.length, 0);
    const data = await host.waitForEvent((e) => e.type === 'data');
    assert.equal(data.type === 'data' && data.reply.code, 554);
  });

  it('refuses the connection with a scripted greeting (421)', async () => {
    host.setScript({ greeting: { code: 421, message: '4.3.2 Service not available' } });
    const conversation = await smtpConversation({ port: host.port });
    assert.deepEqual(conversation.greeting, {
      code: 421,
      lines: ['4.3.2 Service not available'],
      text: '4.3.2 Service not available',
    });
    await conversation.close();
    const error = await sendError(sendRawMessage(host.port, {}));
    assert.equal(error.responseCode, 421);
  });

  it('setSlow delays the end-of-DATA reply', async () => {
    host.setSlow(300);
    const started = Date.now();
    await sendRawMessage(host.port, {});
    assert.ok(Date.now() - started >= 300);
  });

  it('a client that gives up during a slow reply still got its message delivered', async () => {
    host.setSlow(800);
    const error = await sendError(sendRawMessage(host.port, { socketTimeout: 150 }));
    assert.equal(error.code, 'ETIMEDOUT');
    // The duplicate-delivery window: the host has the message, the client saw no 250.
    const [message] = await host.waitForMessages(1, 5_000);
    assert.ok(message);
  });

  it('slowEveryCommand delays MAIL and RCPT replies too', async () => {
    host.setSlow(150, { everyCommand: true });
    const conversation = await smtpConversation({ port: host.port });
    try {
      await conversation.send('EHLO client.test');
      const started = Date.now();
      assert.equal((await conversation.send('MAIL FROM:<a@client.test>')).code, 250);
      // The reply was held back (a timer may fire a millisecond early against Date.now()).
      assert.ok(Date.now() - started >= 140);
    } finally {
      await conversation.close();
    }
  });

  it('waitForMessages rejects with what arrived', async () => {
    await sendRawMessage(
      host.port,
      {},
      { from: 'a@client.test', to: ['reject@dest.test', 'ok@d.test'] },
    );
    await assert.rejects(host.waitForMessages(2, 200), (error: Error) => {
      assert.match(error.message, /timed out after 200 ms waiting for 2 message\(s\)/);
      assert.match(error.message, /<a@client\.test> -> <ok@d\.test>/);
      assert.match(error.message, /RCPT TO:<reject@dest\.test>: 550 5\.1\.1 No such user/);
      return true;
    });
  });
});
