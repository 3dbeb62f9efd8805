import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import {
  smtpConversation,
  startFakeSmartHost,
  startRedisServer,
  waitFor,
  type FakeSmartHost,
  type RedisServerHandle,
} from '@smtp-relay/testkit';
import { readQueueState } from './harness/queue-state.ts';
import type { LogLine } from './harness/relay-process.ts';
import { startRelayStack, type RelayStack } from './harness/relay-stack.ts';
import { sendThroughRelay } from './harness/send-through.ts';

// docs/reference.md "Delivery behaviour": every message that got 250 is delivered or bounced, also when a
// sender, ingress or Redis (with its append-only file) is killed and
// restarted; a crash may resend a message at most once.

const SENDER_CONCURRENCY = 4;

const subjectOf = (data: Buffer): string =>
  /^Subject: (.*)$/m.exec(data.toString('latin1'))?.[1] ?? '?';

const subjectsOf = (smartHost: FakeSmartHost): string[] =>
  smartHost.messages.map((m) => subjectOf(m.data));

const deliveredIds = (logs: readonly LogLine[]): Set<unknown> =>
  new Set(logs.filter((l) => l.event === 'delivery.delivered').map((l) => l['messageId']));

describe('crash safety', () => {
  let redis: RedisServerHandle;
  let smartHost: FakeSmartHost;
  let stack: RelayStack | undefined;

  before(async () => {
    redis = await startRedisServer({ appendOnly: true });
    smartHost = await startFakeSmartHost({ tls: 'none' });
  });

  // One stack per test: its queue prefix is the test's own, so the jobs and
  // bodies read from Redis are exactly this test's.
  const startStack = async (): Promise<RelayStack> => {
    stack = await startRelayStack({
      redisUrl: redis.url,
      smartHost: { port: smartHost.port, tls: 'none' },
      variables: {
        SMTP_RELAY_NETWORKS: '127.0.0.0/8',
        RETRY_DELAYS: '500ms',
        SENDER_CONCURRENCY: String(SENDER_CONCURRENCY),
      },
    });
    return stack;
  };

  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
    smartHost.setSlow(0);
    await smartHost.start();
    smartHost.reset();
  });

  after(async () => {
    await smartHost.close();
    await redis.cleanup();
  });

  it('sender SIGKILLed with deliveries in flight: all delivered after restart, duplicates at most the in-flight ones', async () => {
    const relay = await startStack();
    smartHost.setSlow(1500);
    const count = 8;
    const ids: string[] = [];
    for (let i = 0; i < count; i++)
      ids.push(await sendThroughRelay(relay.smtpPort, { subject: `kill-sender-${String(i)}` }));
    // In flight: the smart host has a whole message and holds back its 250.
    await smartHost.waitForEvent((e) => e.type === 'data-received');
    const killed = relay.sender;
    await killed.kill();
    // Every session so far is the killed sender's; the replacement connects later.
    const killedSessions = new Set(
      smartHost.events.flatMap((e) => (e.type === 'connect' ? [e.sessionId] : [])),
    );
    smartHost.setSlow(0);
    const replacement = await relay.startSender();

    const deliveredByKilled = deliveredIds(killed.logs);
    for (const id of ids) {
      if (deliveredByKilled.has(id)) continue;
      await replacement.waitForLog(
        (l) => l.event === 'delivery.delivered' && l['messageId'] === id,
        40_000,
      );
    }
    await waitFor(async () => (await readQueueState(redis.url, relay.prefix)).bodies === 0, {
      timeoutMs: 30_000,
      description: 'every body deleted',
    });
    // The killed sender's held-back replies come due (and its messages are
    // recorded) on their own schedule: count only once each has been given.
    const ofKilled = (type: string): number =>
      smartHost.events.filter((e) => e.type === type && killedSessions.has(e.sessionId)).length;
    await waitFor(() => ofKilled('data') === ofKilled('data-received'), {
      timeoutMs: 10_000,
      description: "the killed sender's pending replies given",
    });

    const subjects = subjectsOf(smartHost);
    const handedOver = new Set(
      smartHost.messages
        .filter((m) => killedSessions.has(m.sessionId))
        .map((m) => subjectOf(m.data)),
    );
    let duplicates = 0;
    for (let i = 0; i < count; i++) {
      const subject = `kill-sender-${String(i)}`;
      const copies = subjects.filter((s) => s === subject).length;
      assert.ok(copies >= 1, `${subject} delivered`);
      assert.ok(copies <= 2, `${subject} resent at most once (${String(copies)} copies)`);
      if (copies === 2) {
        assert.ok(handedOver.has(subject), `${subject} duplicated only if it was in flight`);
        duplicates++;
      }
    }
    // No 250 reached the killed sender, so each of its slots held at most one message.
    assert.ok(
      handedOver.size <= SENDER_CONCURRENCY,
      `${String(handedOver.size)} in flight, SENDER_CONCURRENCY ${String(SENDER_CONCURRENCY)}`,
    );
    assert.equal(subjects.length, count + duplicates, 'nothing but these messages arrived');
    const state = await readQueueState(redis.url, relay.prefix);
    assert.equal(state.jobs, count, 'one job per message: the restart queued nothing twice');
  });

  it('ingress SIGKILLed in the middle of DATA: nothing of that message is delivered', async () => {
    const relay = await startStack();
    const session = await smtpConversation({ port: relay.smtpPort });
    await session.send('HELO device.test');
    assert.equal((await session.send('MAIL FROM:<device@lan.test>')).code, 250);
    assert.equal((await session.send('RCPT TO:<boss@example.test>')).code, 250);
    assert.equal((await session.send('DATA')).code, 354, 'ingress is reading DATA');
    session.sendRaw(`Subject: half-sent\r\n\r\n${'partial line\r\n'.repeat(2000)}`);
    await relay.ingress.kill();
    await session.close();
    assert.equal(
      (await readQueueState(redis.url, relay.prefix)).jobs,
      0,
      'no job for the half-sent message',
    );

    await relay.restartIngress();
    const id = await sendThroughRelay(relay.smtpPort, { subject: 'after-restart' });
    await relay.sender.waitForLog((l) => l.event === 'delivery.delivered' && l['messageId'] === id);
    assert.deepEqual(subjectsOf(smartHost), ['after-restart']);
    assert.equal((await readQueueState(redis.url, relay.prefix)).jobs, 1);
  });

  it('Redis killed (kill -9) and restarted from its append-only file while messages wait for a retry', async () => {
    const relay = await startStack();
    await smartHost.stop();
    const ids = [
      await sendThroughRelay(relay.smtpPort, { subject: 'aof-1' }),
      await sendThroughRelay(relay.smtpPort, { subject: 'aof-2' }),
      await sendThroughRelay(relay.smtpPort, { subject: 'aof-3' }),
    ];
    for (const id of ids) {
      await relay.sender.waitForLog(
        (l) => l.event === 'delivery.deferred' && l['messageId'] === id,
      );
    }
    assert.deepEqual(await readQueueState(redis.url, relay.prefix), { jobs: 3, bodies: 3 });
    await redis.kill();
    await redis.restart();
    assert.deepEqual(
      await readQueueState(redis.url, relay.prefix),
      { jobs: 3, bodies: 3 },
      'the append-only file kept every job and body',
    );
    await smartHost.start();
    await smartHost.waitForMessages(3, 40_000);
    assert.deepEqual(subjectsOf(smartHost).sort(), ['aof-1', 'aof-2', 'aof-3']);
  });
});
