import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  generateCertificates,
  smtpConversation,
  startFakeSmartHost,
  type FakeSmartHost,
  type GeneratedCertificates,
  type SmtpConversation,
} from '../src/index.ts';

describe('smtpConversation against the fake smart host', () => {
  let certs: GeneratedCertificates;
  let plain: FakeSmartHost;
  let implicit: FakeSmartHost;
  const conversations: SmtpConversation[] = [];
  before(async () => {
    certs = await generateCertificates();
    plain = await startFakeSmartHost({ tls: 'starttls', certificate: certs, size: 1_000 });
    implicit = await startFakeSmartHost({ tls: 'implicit', certificate: certs });
  });
  after(async () => {
    await Promise.all(conversations.map((c) => c.close()));
    await Promise.all([plain.close(), implicit.close()]);
    await certs.cleanup();
  });
  const open = async (options: Parameters<typeof smtpConversation>[0]) => {
    const conversation = await smtpConversation(options);
    conversations.push(conversation);
    return conversation;
  };

  it('reads the greeting and a complete multi-line EHLO reply', async () => {
    const smtp = await open({ port: plain.port });
    assert.deepEqual(smtp.greeting, {
      code: 220,
      lines: ['smart-host.test ESMTP'],
      text: 'smart-host.test ESMTP',
    });
    const ehlo = await smtp.send('EHLO client.test');
    assert.equal(ehlo.code, 250);
    assert.equal(ehlo.lines[0], 'smart-host.test Nice to meet you, [127.0.0.1]');
    assert.ok(ehlo.lines.includes('PIPELINING'));
    assert.ok(ehlo.lines.includes('SIZE 1000'));
    assert.ok(ehlo.lines.includes('STARTTLS'));
  });

  it('delivers a DATA body written raw, dot-unstuffed and with bare LF kept', async () => {
    plain.reset();
    const smtp = await open({ port: plain.port });
    await smtp.send('EHLO client.test');
    assert.equal((await smtp.send('MAIL FROM:<>')).code, 250);
    assert.equal((await smtp.send('RCPT TO:<postmaster@[127.0.0.1]>')).code, 250);
    assert.equal((await smtp.send('DATA')).code, 354);
    // A smuggling attempt: only CRLF.CRLF ends DATA at smtp-server, so this is one message.
    smtp.sendRaw('Subject: t\r\n\r\n..stuffed\r\nline\n.\nMAIL FROM:<evil@x.test>\r\n.\r\n');
    const queued = await smtp.readReply();
    assert.equal(queued.code, 250);
    assert.match(queued.text, /^2\.0\.0 Ok: queued as [0-9A-F]{12}$/);
    const [message] = await plain.waitForMessages(1);
    assert.equal(message?.mailFrom, '');
    assert.deepEqual(message.rcptTo, ['postmaster@[127.0.0.1]']);
    assert.equal(
      message.data.toString('latin1'),
      'Subject: t\r\n\r\n.stuffed\r\nline\n.\nMAIL FROM:<evil@x.test>\r\n',
    );
  });

  it('reads pipelined replies in order', async () => {
    const smtp = await open({ port: plain.port });
    await smtp.send('EHLO client.test');
    smtp.sendRaw(
      'MAIL FROM:<a@client.test>\r\nRCPT TO:<ok@dest.test>\r\nRCPT TO:<reject@dest.test>\r\n',
    );
    const codes = [await smtp.readReply(), await smtp.readReply(), await smtp.readReply()];
    assert.deepEqual(
      codes.map((r) => r.code),
      [250, 250, 550],
    );
  });

  it('sees the 552 for a declared SIZE over the limit', async () => {
    const smtp = await open({ port: plain.port });
    await smtp.send('EHLO client.test');
    const reply = await smtp.send('MAIL FROM:<a@client.test> SIZE=5000');
    assert.equal(reply.code, 552);
  });

  it('upgrades with STARTTLS, verifying against the CA', async () => {
    plain.reset();
    const smtp = await open({ port: plain.port });
    await smtp.send('EHLO client.test');
    await smtp.startTls({ ca: certs.caCert });
    assert.equal(smtp.secure, true);
    const ehlo = await smtp.send('EHLO client.test');
    assert.ok(!ehlo.lines.includes('STARTTLS'));
    await smtp.send('MAIL FROM:<a@client.test>');
    await smtp.send('RCPT TO:<b@dest.test>');
    await smtp.send('DATA');
    const queued = await smtp.send('Subject: tls\r\n\r\nbody\r\n.\r\n');
    assert.equal(queued.code, 250);
    const [message] = await plain.waitForMessages(1);
    assert.equal(message?.secure, true);
  });

  it('connects with implicit TLS, and fails without trusting the CA', async () => {
    const smtp = await open({ port: implicit.port, tls: { implicit: true, ca: certs.caCert } });
    assert.equal(smtp.greeting.code, 220);
    assert.equal(smtp.secure, true);
    await assert.rejects(
      smtpConversation({ port: implicit.port, tls: { implicit: true } }),
      /unable to verify/i,
    );
  });

  it('rejects a wait on its deadline with what was received so far', async () => {
    const smtp = await open({ port: plain.port });
    smtp.sendRaw('EHLO client.test\r\n');
    await assert.rejects(
      smtp.readReply(2_000).then(() => smtp.readReply(100)),
      (error: Error) => {
        assert.match(error.message, /Timed out after 100 ms waiting for a reply/);
        assert.match(error.message, /received so far: "220 smart-host.test ESMTP\\r\\n250-/);
        return true;
      },
    );
  });

  it('rejects a wait when the server closes the connection', async () => {
    const smtp = await open({ port: plain.port });
    assert.equal((await smtp.send('QUIT')).code, 221);
    await assert.rejects(smtp.readReply(2_000), /Connection closed by the server/);
  });
});
