import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { type FakeSmartHost } from '@smtp-relay/testkit';
import { startLanRelay, type LanRelay } from './harness/lan-relay.ts';
import type { RelayStack } from './harness/relay-stack.ts';
import { sendThroughRelay } from './harness/send-through.ts';
import { readQueueState } from './harness/queue-state.ts';

// Temporary failures are retried on RETRY_DELAYS until the smart host takes the message.

const RETRY_DELAY_MS = 700;

describe('retries', () => {
  let relay: LanRelay;
  let smartHost: FakeSmartHost;
  let stack: RelayStack;

  before(async () => {
    relay = await startLanRelay({
      variables: {
        RETRY_DELAYS: `${String(RETRY_DELAY_MS)}ms`,
        SMTP_CLIENT_TIMEOUT: '2s',
      },
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

  it('retries after a 4xx at DATA and delivers on the next attempt, after RETRY_DELAYS', async () => {
    let attempts = 0;
    smartHost.setScript({
      data: () => (++attempts === 1 ? { code: 451, message: '4.3.0 Try again later' } : undefined),
    });
    const id = await sendThroughRelay(stack.smtpPort);
    const deferred = await stack.sender.waitForLog(
      (l) => l.event === 'delivery.deferred' && l['messageId'] === id,
    );
    assert.equal(deferred['smtpCode'], 451);
    const [message] = await smartHost.waitForMessages(1);
    assert.ok(message);
    const rejectedAt = smartHost.events.find((e) => e.type === 'data' && e.reply.code === 451)?.at;
    assert.ok(rejectedAt);
    assert.ok(
      message.receivedAt.getTime() - rejectedAt.getTime() >= RETRY_DELAY_MS - 50,
      'the second attempt waited for the retry delay',
    );
    assert.equal(attempts, 2);
    await stack.sender.waitForLog((l) => l.event === 'delivery.delivered' && l['messageId'] === id);
    assert.equal(
      (await readQueueState(relay.redisUrl, stack.prefix)).bodies,
      0,
      'body deleted once delivered',
    );
  });

  it('greylisting at RCPT (450 4.7.1) is retried', async () => {
    let attempts = 0;
    smartHost.setScript({
      rcptTo: () =>
        ++attempts === 1 ? { code: 450, message: '4.7.1 Greylisted, try again' } : undefined,
    });
    await sendThroughRelay(stack.smtpPort);
    const [message] = await smartHost.waitForMessages(1);
    assert.ok(message);
    assert.deepEqual(message.rcptTo, ['boss@example.test']);
  });

  it('keeps retrying through a smart-host outage and delivers once it is back', async () => {
    await smartHost.stop();
    const ids = [await sendThroughRelay(stack.smtpPort), await sendThroughRelay(stack.smtpPort)];
    // Several attempts fail while the smart host is down.
    for (const id of ids) {
      await stack.sender.waitForLog(
        (l) => l.event === 'delivery.deferred' && l['messageId'] === id && l['attempt'] === 2,
        10_000,
      );
    }
    await smartHost.start();
    const messages = await smartHost.waitForMessages(2, 10_000);
    assert.equal(messages.length, 2);
    for (const id of ids) {
      await stack.sender.waitForLog(
        (l) => l.event === 'delivery.delivered' && l['messageId'] === id,
      );
    }
    assert.equal(smartHost.messages.length, 2, 'each delivered once');
  });
});
