import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { waitFor, type FakeSmartHost, type ReceivedMessage } from '@smtp-relay/testkit';
import { DELIVERY_QUEUE_NAME } from '@smtp-relay/queue';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { readQueueState } from './harness/queue-state.ts';
import { startLanRelay, type LanRelay } from './harness/lan-relay.ts';
import type { RelayStack } from './harness/relay-stack.ts';
import { sendThroughRelay } from './harness/send-through.ts';

// docs/reference.md "Delivery behaviour": permanent failures bounce at once as RFC 3464
// reports through the smart host, temporary ones retry per recipient, and
// MAX_QUEUE_LIFETIME ends in a 5.4.7 bounce. A bounce never bounces.

const isBounce = (message: ReceivedMessage): boolean => message.mailFrom === '';
const text = (message: ReceivedMessage): string => message.data.toString('utf8');

describe('bounces and per-recipient outcomes', () => {
  let relay: LanRelay;
  let smartHost: FakeSmartHost;
  let stack: RelayStack;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bounces-'));
    const template = join(dir, 'bounce.txt');
    await writeFile(
      template,
      'Hello from {hostname}. Sorry:\n\n{recipients}\n\nWrite to {postmaster}.\n',
    );
    relay = await startLanRelay({
      variables: {
        RETRY_DELAYS: '400ms',
        MAX_QUEUE_LIFETIME: '2s',
        POSTMASTER: 'mailer-daemon@relay.test',
        BOUNCE_TEMPLATE_FILE: template,
      },
    });
    ({ smartHost, stack } = relay);
  });

  after(async () => {
    const codes = await relay.close();
    await rm(dir, { recursive: true, force: true });
    assert.deepEqual(codes, [0, 0]);
  });

  beforeEach(() => {
    smartHost.reset();
    smartHost.setScript({});
  });

  it('delivers to accepted recipients and bounces a 5xx recipient with an RFC 3464 report', async () => {
    const id = await sendThroughRelay(stack.smtpPort, {
      from: 'printer@office.test',
      to: ['boss@example.test', 'reject-nobody@example.test'],
      subject: 'quarterly report',
    });
    const messages = await smartHost.waitForMessages(2);
    const delivered = messages.find((m) => !isBounce(m));
    const bounce = messages.find(isBounce);
    assert.ok(delivered && bounce, smartHost.describe());
    assert.deepEqual(delivered.rcptTo, ['boss@example.test']);
    assert.deepEqual(bounce.rcptTo, ['printer@office.test']);
    const report = text(bounce);
    assert.match(report, /^From: Mail Delivery System <mailer-daemon@relay\.test>\r\n/m);
    assert.match(report, /^To: <printer@office\.test>\r\n/m);
    assert.match(report, /^Auto-Submitted: auto-replied\r\n/m);
    assert.match(report, /Content-Type: multipart\/report; report-type=delivery-status;/);
    assert.match(report, /Content-Type: message\/delivery-status\r\n/);
    assert.match(report, /Reporting-MTA: dns; relay\.test\r\n/);
    assert.match(
      report,
      /Final-Recipient: rfc822; reject-nobody@example\.test\r\nAction: failed\r\nStatus: 5\.1\.1\r\n/,
    );
    assert.match(report, /Diagnostic-Code: smtp; 550 5\.1\.1 No such user/);
    assert.match(report, /Hello from relay\.test\. Sorry:/, 'BOUNCE_TEMPLATE_FILE text');
    assert.match(
      report,
      /Content-Type: text\/rfc822-headers\r\n\r\nReceived: from device\.test[\s\S]*Subject: quarterly report\r\n/,
    );
    assert.doesNotMatch(
      report,
      /Final-Recipient: rfc822; boss@/,
      'the delivered recipient is not reported',
    );
    await stack.sender.waitForLog((l) => l.event === 'bounce.queued' && l['messageId'] === id);
    // The bounce's body goes once it is delivered; the message's own stays for
    // FAILED_RETENTION (docs/reference.md "Failed messages and retry"), for a retry.
    await waitFor(async () => (await readQueueState(relay.redisUrl, stack.prefix)).bodies === 1, {
      description: 'only the failed message body left',
    });
    const redis = new Redis(relay.redisUrl);
    try {
      const ttl = await redis.pttl(`${stack.prefix}:body:${id}`);
      assert.ok(ttl > 6 * 86_400_000 && ttl <= 7 * 86_400_000, `kept 7 days (PTTL ${String(ttl)})`);
    } finally {
      redis.disconnect();
    }
  });

  it('bounces the whole message on 5xx at DATA', async () => {
    smartHost.setScript({
      data: (message) =>
        message.mailFrom === '' ? undefined : { code: 554, message: '5.6.0 Content refused' },
    });
    await sendThroughRelay(stack.smtpPort, {
      from: 'app@office.test',
      to: ['a@example.test', 'b@example.test'],
    });
    const [bounce] = await smartHost.waitForMessages(1);
    assert.ok(bounce && isBounce(bounce));
    const report = text(bounce);
    assert.match(
      report,
      /Final-Recipient: rfc822; a@example\.test\r\nAction: failed\r\nStatus: 5\.6\.0/,
    );
    assert.match(
      report,
      /Final-Recipient: rfc822; b@example\.test\r\nAction: failed\r\nStatus: 5\.6\.0/,
    );
    assert.match(report, /Diagnostic-Code: smtp; 554 5\.6\.0 Content refused/);

    // The bounced message stays inspectable: failed, with the reply and attempts.
    const queue = new Queue(DELIVERY_QUEUE_NAME, {
      connection: { url: relay.redisUrl },
      prefix: stack.prefix,
    });
    try {
      const failed = await queue.getFailed();
      const job = failed.find(
        (j) => (j.data as { mailFrom?: string }).mailFrom === 'app@office.test',
      );
      assert.ok(job, 'bounced job in the failed set');
      assert.match(job.failedReason, /a@example\.test: 554 5\.6\.0 Content refused/);
      assert.equal(job.attemptsMade, 1);
    } finally {
      await queue.close();
    }
  });

  it('bounces on 5xx at MAIL FROM', async () => {
    smartHost.setScript({
      mailFrom: (address) =>
        address === 'unknown@office.test'
          ? { code: 553, message: '5.1.8 Sender address rejected' }
          : undefined,
    });
    await sendThroughRelay(stack.smtpPort, { from: 'unknown@office.test' });
    const [bounce] = await smartHost.waitForMessages(1);
    assert.ok(bounce && isBounce(bounce));
    assert.deepEqual(bounce.rcptTo, ['unknown@office.test']);
    assert.match(text(bounce), /Status: 5\.1\.8/);
  });

  it('retries a 4xx recipient on its own and never resends to the accepted one', async () => {
    let refusals = 0;
    smartHost.setScript({
      rcptTo: (address) =>
        address === 'later@example.test' && ++refusals === 1
          ? { code: 452, message: '4.2.2 Mailbox full' }
          : undefined,
    });
    const id = await sendThroughRelay(stack.smtpPort, {
      to: ['now@example.test', 'later@example.test'],
    });
    const messages = await smartHost.waitForMessages(2);
    assert.deepEqual(
      messages.map((m) => m.rcptTo),
      [['now@example.test'], ['later@example.test']],
    );
    await stack.sender.waitForLog(
      (l) => l.event === 'delivery.delivered' && l['messageId'] === id && l['attempt'] === 2,
    );
    assert.equal(smartHost.messages.length, 2, 'no third copy, no bounce');
  });

  it('bounces as expired (5.4.7) after MAX_QUEUE_LIFETIME', async () => {
    const id = await sendThroughRelay(stack.smtpPort, {
      from: 'printer@office.test',
      to: ['tempfail-forever@example.test'],
    });
    const [bounce] = await smartHost.waitForMessages(1, 10_000);
    assert.ok(bounce && isBounce(bounce));
    const report = text(bounce);
    assert.match(
      report,
      /Final-Recipient: rfc822; tempfail-forever@example\.test\r\nAction: failed\r\nStatus: 5\.4\.7\r\n/,
    );
    assert.match(report, /Diagnostic-Code: smtp; 451 4\.7\.1 Try again later\r\n/);
    const deferrals = stack.sender.logs.filter(
      (l) => l.event === 'delivery.deferred' && l['messageId'] === id,
    );
    assert.ok(
      deferrals.length >= 2,
      `retried before expiring (${String(deferrals.length)} deferrals)`,
    );
  });

  it('sends no bounce for a message from the null sender (no bounce loops)', async () => {
    const id = await sendThroughRelay(stack.smtpPort, {
      from: '',
      to: ['reject-gone@example.test'],
    });
    await stack.sender.waitForLog((l) => l.event === 'bounce.suppressed' && l['messageId'] === id);
    await stack.sender.waitForLog((l) => l.event === 'delivery.bounced' && l['messageId'] === id);
    assert.equal(smartHost.messages.length, 0);
  });

  it('does not bounce a bounce that itself fails', async () => {
    const id = await sendThroughRelay(stack.smtpPort, {
      from: 'reject-sender@office.test',
      to: ['reject-x@example.test'],
    });
    const bounceId = `${id}-B1`;
    await stack.sender.waitForLog(
      (l) => l.event === 'delivery.bounced' && l['messageId'] === bounceId,
    );
    await stack.sender.waitForLog(
      (l) => l.event === 'bounce.suppressed' && l['messageId'] === bounceId,
    );
    assert.equal(smartHost.messages.length, 0);
  });
});
