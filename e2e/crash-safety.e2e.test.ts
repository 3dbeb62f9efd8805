import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  smtpConversation,
  startFakeSmartHost,
  startRedisServer,
  waitFor,
  type FakeSmartHost,
  type RedisServerHandle,
} from '@smtp-relay/testkit';
import { readQueueState } from './harness/queue-state.ts';
import { startRelayStack, type RelayStack } from './harness/relay-stack.ts';
import { sendThroughRelay } from './harness/send-through.ts';

// SPEC: every message that got 250 is delivered or bounced, also when a
// sender, ingress or Redis (with its append-only file) is killed and
// restarted; a crash may resend a message at most once.

const subjectsOf = (smartHost: FakeSmartHost): string[] =>
  smartHost.messages.map((m) => /^Subject: (.*)$/m.exec(m.data.toString('latin1'))?.[1] ?? '?');

describe('crash safety', () => {
  let redis: RedisServerHandle;
  let smartHost: FakeSmartHost;
  let stack: RelayStack;

  before(async () => {
    redis = await startRedisServer({ appendOnly: true });
    smartHost = await startFakeSmartHost({ tls: 'none' });
    stack = await startRelayStack({
      redisUrl: redis.url,
      smartHost: { port: smartHost.port, tls: 'none' },
      variables: {
        SMTP_RELAY_NETWORKS: '127.0.0.0/8',
        RETRY_DELAYS: '500ms',
        SENDER_CONCURRENCY: '4',
      },
    });
  });

  after(async () => {
    await stack.stop();
    await smartHost.close();
    await redis.cleanup();
  });

  it('sender SIGKILLed with deliveries in flight: all delivered after restart, duplicates at most the in-flight ones', async () => {
    smartHost.reset();
    smartHost.setSlow(1500);
    const count = 8;
    const ids: string[] = [];
    for (let i = 0; i < count; i++)
      ids.push(await sendThroughRelay(stack.smtpPort, { subject: `kill-sender-${String(i)}` }));
    // Wait until deliveries are in flight (DATA sent, reply pending), then kill.
    await smartHost.waitForEvent((e) => e.type === 'mail-from');
    await stack.sender.kill();
    smartHost.setSlow(0);
    const replacement = await stack.startSender();
    const messages = await smartHost.waitForMessages(count, 40_000);
    const subjects = subjectsOf(smartHost);
    for (let i = 0; i < count; i++)
      assert.ok(subjects.includes(`kill-sender-${String(i)}`), `message ${String(i)} delivered`);
    await waitFor(async () => (await readQueueState(redis.url, stack.prefix)).bodies === 0, {
      timeoutMs: 30_000,
      description: 'every body deleted',
    });
    const duplicates = smartHost.messages.length - count;
    assert.ok(duplicates <= 4, `duplicates ${String(duplicates)} <= SENDER_CONCURRENCY in flight`);
    assert.ok(messages.length >= count);
    assert.ok(replacement.logs.some((l) => l.event === 'delivery.delivered'));
  });

  it('ingress SIGKILLed in the middle of DATA: nothing of that message is delivered', async () => {
    smartHost.reset();
    const session = await smtpConversation({ port: stack.smtpPort });
    await session.send('HELO device.test');
    await session.send('MAIL FROM:<device@lan.test>');
    await session.send('RCPT TO:<boss@example.test>');
    await session.send('DATA');
    session.sendRaw(`Subject: half-sent\r\n\r\n${'partial line\r\n'.repeat(2000)}`);
    await stack.ingress.waitForLog((l) => l.event === 'smtp.session.open');
    await stack.ingress.kill();
    await session.close();
    await stack.restartIngress();
    await sendThroughRelay(stack.smtpPort, { subject: 'after-restart' });
    await smartHost.waitForMessages(1, 15_000);
    assert.deepEqual(subjectsOf(smartHost), ['after-restart']);
    assert.equal((await readQueueState(redis.url, stack.prefix)).jobs >= 1, true);
  });

  it('Redis killed (kill -9) and restarted from its append-only file while messages wait for a retry', async () => {
    smartHost.reset();
    await smartHost.stop();
    const ids = [
      await sendThroughRelay(stack.smtpPort, { subject: 'aof-1' }),
      await sendThroughRelay(stack.smtpPort, { subject: 'aof-2' }),
      await sendThroughRelay(stack.smtpPort, { subject: 'aof-3' }),
    ];
    for (const id of ids) {
      await stack.sender
        .waitForLog((l) => l.event === 'delivery.deferred' && l['messageId'] === id, 15_000)
        .catch(
          () =>
            // the first sender was killed in an earlier test: look at the newest one
            undefined,
        );
    }
    await redis.kill();
    await redis.restart();
    await smartHost.start();
    await smartHost.waitForMessages(3, 40_000);
    assert.deepEqual(subjectsOf(smartHost).sort(), ['aof-1', 'aof-2', 'aof-3']);
  });
});
