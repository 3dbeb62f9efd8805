import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  smtpConversation,
  startFakeSmartHost,
  type FakeSmartHost,
  type SmtpConversation,
} from '@smtp-relay/testkit';
import { startRelayStack, type RelayStack } from './harness/relay-stack.ts';
import { useTestRedis, type TestRedis } from './harness/test-redis.ts';

// LAN devices: no TLS at all, relaying by network (SMTP_RELAY_NETWORKS) or with
// AUTH in plain text (SMTP_ALLOW_INSECURE_AUTH=true); bare-LF line endings; and
// SMTP smuggling attempts, which must never reach the smart host as a second message.

describe('LAN devices without TLS', () => {
  let redis: TestRedis;
  let smartHost: FakeSmartHost;
  let stack: RelayStack;
  let dir: string;

  const transaction = async (session: SmtpConversation, body: string | Buffer): Promise<number> => {
    assert.equal((await session.send('MAIL FROM:<scanner@lan.test>')).code, 250);
    assert.equal((await session.send('RCPT TO:<boss@example.test>')).code, 250);
    assert.equal((await session.send('DATA')).code, 354);
    session.sendRaw(body);
    return (await session.readReply()).code;
  };

  before(async () => {
    redis = await useTestRedis();
    smartHost = await startFakeSmartHost({ tls: 'none' });
    dir = await mkdtemp(join(tmpdir(), 'device-lan-'));
    const usersFile = join(dir, 'users');
    await writeFile(usersFile, 'old-printer old-pass\n');
    stack = await startRelayStack({
      redisUrl: redis.url,
      smartHost: { port: smartHost.port, tls: 'none' },
      variables: {
        SMTP_AUTH_FILE: usersFile,
        SMTP_ALLOW_INSECURE_AUTH: 'true',
        SMTP_RELAY_NETWORKS: '192.0.2.0/24, 127.0.0.0/8',
      },
    });
  });

  after(async () => {
    const codes = await stack.stop();
    await smartHost.close();
    await rm(dir, { recursive: true, force: true });
    await redis.cleanup();
    assert.deepEqual(codes, [0, 0]);
  });

  beforeEach(() => {
    smartHost.reset();
  });

  it('relays for a client in SMTP_RELAY_NETWORKS without AUTH', async () => {
    const session = await smtpConversation({ port: stack.smtpPort });
    await session.send('HELO scanner');
    assert.equal(await transaction(session, 'Subject: scan\r\n\r\nbody\r\n.\r\n'), 250);
    await session.close();
    const [message] = await smartHost.waitForMessages(1);
    assert.ok(message);
    assert.deepEqual(message.rcptTo, ['boss@example.test']);
  });

  it('offers and accepts AUTH in plain text when SMTP_ALLOW_INSECURE_AUTH=true', async () => {
    const session = await smtpConversation({ port: stack.smtpPort });
    const ehlo = await session.send('EHLO printer');
    assert.ok(ehlo.lines.includes('AUTH PLAIN LOGIN'), ehlo.lines.join(', '));
    assert.ok(!ehlo.lines.includes('STARTTLS'), 'no STARTTLS without a certificate');
    assert.equal((await session.send('AUTH LOGIN')).code, 334);
    assert.equal((await session.send(Buffer.from('old-printer').toString('base64'))).code, 334);
    assert.equal((await session.send(Buffer.from('old-pass').toString('base64'))).code, 235);
    await session.close();
  });

  it('accepts bare-LF lines and relays them with CRLF', async () => {
    const session = await smtpConversation({ port: stack.smtpPort });
    await session.send('HELO scanner');
    const code = await transaction(
      session,
      'Subject: lf device\nX-Device: old\n\nline one\nline two\r\n.\r\n',
    );
    assert.equal(code, 250);
    await session.close();
    const [message] = await smartHost.waitForMessages(1);
    assert.ok(message);
    const text = message.data.toString('latin1');
    assert.match(text, /Subject: lf device\r\nX-Device: old\r\n\r\nline one\r\nline two\r\n$/);
    assert.doesNotMatch(text.replace(/\r\n/g, ''), /\n/, 'no bare LF reaches the smart host');
  });

  const smugglingPayloads: readonly [string, string][] = [
    ['<LF>.<LF>', '\n.\n'],
    ['<LF>.<CRLF>', '\n.\r\n'],
    ['<CR>.<CR>', '\r.\r'],
    ['<CRLF>.<LF>', '\r\n.\n'],
    ['<CR>.<CRLF>', '\r.\r\n'],
  ];
  for (const [name, terminator] of smugglingPayloads) {
    it(`never lets ${name} end the message: the smart host receives one message`, async () => {
      const session = await smtpConversation({ port: stack.smtpPort });
      await session.send('HELO attacker');
      const body =
        `Subject: innocent\r\n\r\nhello${terminator}` +
        'MAIL FROM:<ceo@victim.test>\r\nRCPT TO:<finance@victim.test>\r\nDATA\r\n' +
        'Subject: smuggled\r\n\r\npay now\r\n.\r\n';
      const code = await transaction(session, body);
      // Either accepted as one message (relayed dot-stuffed) or refused as a whole.
      assert.ok(code === 250 || (code >= 550 && code < 560), `reply ${String(code)}`);
      await session.send('QUIT').catch(() => undefined);
      await session.close();
      if (code !== 250) return;
      const [message] = await smartHost.waitForMessages(1);
      assert.ok(message);
      assert.equal(smartHost.messages.length, 1);
      assert.deepEqual(message.rcptTo, ['boss@example.test']);
      assert.equal(message.mailFrom, 'scanner@lan.test');
      const text = message.data.toString('latin1');
      assert.match(text, /MAIL FROM:<ceo@victim\.test>/, 'the smuggled commands are content');
      assert.match(
        text,
        /\r\n\.\.\r\nMAIL FROM|\r\n\.\r\nMAIL FROM/,
        'the dot line arrived inside the content',
      );
      assert.doesNotMatch(
        text.replace(/\r\n/g, ''),
        /[\r\n]/,
        'only CRLF line endings on the wire',
      );
    });
  }
});
