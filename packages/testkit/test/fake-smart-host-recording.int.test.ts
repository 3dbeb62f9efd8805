import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import {
  smtpConversation,
  startFakeSmartHost,
  type FakeSmartHost,
  type MailParams,
} from '../src/index.ts';

// Relay tests check what the relay asked of the smart host (BODY=8BITMIME,
// SMTPUTF8), so the fake host keeps MAIL FROM's parameters as it got them.

describe('fake smart host records MAIL FROM parameters', () => {
  let host: FakeSmartHost;
  before(async () => {
    host = await startFakeSmartHost({ tls: 'none' });
  });
  afterEach(() => {
    host.reset();
  });
  after(() => host.close());

  const rows: readonly { name: string; mail: string; expected: MailParams }[] = [
    { name: 'none: an empty object', mail: 'MAIL FROM:<a@client.test>', expected: {} },
    {
      name: 'BODY=8BITMIME',
      mail: 'MAIL FROM:<a@client.test> BODY=8BITMIME',
      expected: { BODY: '8BITMIME' },
    },
    {
      name: 'SMTPUTF8, a flag without value',
      mail: 'MAIL FROM:<grüße@client.test> SMTPUTF8',
      expected: { SMTPUTF8: true },
    },
    {
      name: 'several, keys upper-cased, values as sent',
      mail: 'MAIL FROM:<a@client.test> body=8bitmime size=42 smtputf8',
      expected: { BODY: '8bitmime', SIZE: '42', SMTPUTF8: true },
    },
  ];
  for (const row of rows) {
    it(row.name, async () => {
      const session = await smtpConversation({ port: host.port });
      try {
        assert.equal((await session.send('EHLO client.test')).code, 250);
        assert.equal((await session.send(Buffer.from(`${row.mail}\r\n`, 'utf8'))).code, 250);
        assert.equal((await session.send('RCPT TO:<b@dest.test>')).code, 250);
        assert.equal((await session.send('DATA')).code, 354);
        assert.equal((await session.send('Subject: params\r\n\r\nbody\r\n.')).code, 250);
      } finally {
        await session.close();
      }
      const [message] = await host.waitForMessages(1);
      assert.deepEqual(message?.mailParams, row.expected);
      const mail = host.events.find((e) => e.type === 'mail-from');
      assert.deepEqual(mail?.type === 'mail-from' && mail.params, row.expected);
    });
  }
});

describe('fake smart host records a DATA whose reply is still pending', () => {
  let host: FakeSmartHost;
  before(async () => {
    host = await startFakeSmartHost({ tls: 'none', slowMs: 60_000 });
  });
  // stop() cancels the pending reply, so the minute never has to pass.
  after(() => host.close());

  it('data-received comes at the end of DATA, before the reply and the message', async () => {
    const session = await smtpConversation({ port: host.port });
    try {
      await session.send('EHLO client.test');
      await session.send('MAIL FROM:<a@client.test>');
      await session.send('RCPT TO:<b@dest.test>');
      assert.equal((await session.send('DATA')).code, 354);
      const body = 'Subject: pending\r\n\r\nbody\r\n';
      session.sendRaw(`${body}.\r\n`);
      const received = await host.waitForEvent((e) => e.type === 'data-received');
      assert.equal(received.type === 'data-received' && received.size, Buffer.byteLength(body));
      assert.equal(
        host.events.some((e) => e.type === 'data'),
        false,
        'no reply recorded yet',
      );
      assert.equal(host.messages.length, 0);
    } finally {
      await session.close();
    }
  });
});
