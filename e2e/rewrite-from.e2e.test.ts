import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { FakeSmartHost, ReceivedMessage } from '@smtp-relay/testkit';
import { startLanRelay, type LanRelay } from './harness/lan-relay.ts';
import type { RelayStack } from './harness/relay-stack.ts';
import { sendThroughRelay } from './harness/send-through.ts';
import { queuedId, submit } from './harness/submit.ts';

// docs/reference.md "Sender address rewriting": with REWRITE_FROM the smart
// host sees one sender (MAIL FROM and From:), the original From: travels as
// X-Original-From: and Reply-To:, the body arrives byte for byte, and bounces
// still go to the device's own envelope sender.

const RELAY = 'relay@example.com';

const HEADER =
  'From: =?UTF-8?Q?Drucker_3=2E_Stock?=\r\n <printer@office.test>\r\n' +
  'To: boss@example.test\r\n' +
  'Subject: Scan 42\r\n' +
  'MIME-Version: 1.0\r\n' +
  'Content-Type: text/plain; charset=us-ascii\r\n';

/** Over a MiB, so that the store holds it in several chunks; a From: line in it is body. */
function body(): Buffer {
  const lines = ['', 'From: not a header <body@office.test>', '', '.a line with a leading dot'];
  for (let i = 0; lines.length < 20_000; i++) {
    lines.push(`line ${String(i).padStart(6, '0')} ${'abcdefghij'.repeat(6)}`);
  }
  return Buffer.from(`${lines.join('\r\n')}\r\n`, 'latin1');
}

/** The delivered header section (without its empty line) and the rest. */
function split(message: ReceivedMessage): { header: string; rest: Buffer } {
  const end = message.data.indexOf('\r\n\r\n');
  assert.ok(end > 0, 'a header section');
  return {
    header: message.data.subarray(0, end + 2).toString('latin1'),
    rest: message.data.subarray(end + 2),
  };
}

describe('REWRITE_FROM: one sender address towards the smart host', () => {
  let relay: LanRelay;
  let smartHost: FakeSmartHost;
  let stack: RelayStack;

  before(async () => {
    relay = await startLanRelay({
      variables: { REWRITE_FROM: RELAY, POSTMASTER: 'mailer-daemon@relay.test' },
    });
    ({ smartHost, stack } = relay);
  });

  after(async () => {
    const codes = await relay.close();
    assert.deepEqual(codes, [0, 0]);
  });

  beforeEach(() => {
    smartHost.reset();
    smartHost.setScript({});
  });

  it('rewrites MAIL FROM and From:, keeps the original as X-Original-From: and Reply-To:, not the body', async () => {
    const content = body();
    const raw = Buffer.concat([Buffer.from(HEADER, 'latin1'), content]);
    const id = queuedId(
      await submit({
        port: stack.smtpPort,
        tls: 'none',
        from: 'printer@office.test',
        to: ['boss@example.test'],
        raw,
      }),
    );
    const [message] = await smartHost.waitForMessages(1);
    assert.ok(message, smartHost.describe());
    assert.equal(message.mailFrom, RELAY);
    assert.deepEqual(message.rcptTo, ['boss@example.test']);
    const { header, rest } = split(message);
    assert.match(header, /^Received: from device\.test /);
    const original = '=?UTF-8?Q?Drucker_3=2E_Stock?=\r\n <printer@office.test>';
    assert.ok(
      header.endsWith(
        `From: =?UTF-8?Q?Drucker_3=2E_Stock?= <${RELAY}>\r\n` +
          `Reply-To: ${original}\r\n` +
          `X-Original-From: ${original}\r\n` +
          'To: boss@example.test\r\nSubject: Scan 42\r\n' +
          'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n',
      ),
      header,
    );
    assert.equal(header.match(/^From:/gim)?.length, 1, 'one From: field');
    assert.ok(rest.equals(content), 'the body is relayed byte for byte');
    await stack.sender.waitForLog((l) => l.event === 'delivery.delivered' && l['messageId'] === id);
  });

  it('bounces a message the smart host refuses to the original envelope sender, from <>', async () => {
    const id = await sendThroughRelay(stack.smtpPort, {
      from: 'printer@office.test',
      to: ['reject-nobody@example.test'],
      subject: 'quarterly report',
    });
    const [bounce] = await smartHost.waitForMessages(1);
    assert.ok(bounce, smartHost.describe());
    const refused = smartHost.events.find(
      (e) => e.type === 'rcpt-to' && e.address === 'reject-nobody@example.test',
    );
    assert.ok(refused?.type === 'rcpt-to' && refused.reply.code === 550);
    const mailFroms = smartHost.events.flatMap((e) => (e.type === 'mail-from' ? [e.address] : []));
    assert.deepEqual(mailFroms, [RELAY, ''], 'the message from the rewrite address, the bounce <>');

    assert.equal(bounce.mailFrom, '', 'a bounce keeps the null sender');
    assert.deepEqual(bounce.rcptTo, ['printer@office.test'], 'to the original envelope sender');
    const report = bounce.data.toString('utf8');
    assert.match(report, /^From: Mail Delivery System <relay@example\.com>\r\n/m);
    assert.match(report, /^X-Original-From: Mail Delivery System <mailer-daemon@relay\.test>\r\n/m);
    assert.match(report, /^To: <printer@office\.test>\r\n/m);
    assert.match(report, /Final-Recipient: rfc822; reject-nobody@example\.test\r\n/);
    await stack.sender.waitForLog((l) => l.event === 'bounce.queued' && l['messageId'] === id);
  });
});
