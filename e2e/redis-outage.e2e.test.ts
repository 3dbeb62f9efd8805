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
import { startRelayStack, type RelayStack } from './harness/relay-stack.ts';
import { sendThroughRelay } from './harness/send-through.ts';

// A 250 is a promise: when Redis cannot take the message, the client hears a
// 4xx (never 250, never silence) within SMTP_SOCKET_TIMEOUT, and keeps the mail.

const SOCKET_TIMEOUT_MS = 6000;

async function dataReply(port: number): Promise<{ code: number; text: string; elapsedMs: number }> {
  const session = await smtpConversation({ port, timeoutMs: SOCKET_TIMEOUT_MS + 5000 });
  try {
    await session.send('HELO device.test');
    await session.send('MAIL FROM:<device@lan.test>');
    await session.send('RCPT TO:<boss@example.test>');
    const data = await session.send('DATA');
    assert.equal(data.code, 354);
    const started = Date.now();
    session.sendRaw('Subject: during outage\r\n\r\nbody\r\n.\r\n');
    const reply = await session.readReply(SOCKET_TIMEOUT_MS + 5000);
    return { code: reply.code, text: reply.text, elapsedMs: Date.now() - started };
  } finally {
    await session.close();
  }
}

async function readyStatus(adminPort: number): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${String(adminPort)}/readyz`);
  return response.status;
}

describe('Redis outage', () => {
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
        SMTP_SOCKET_TIMEOUT: `${String(SOCKET_TIMEOUT_MS)}ms`,
        RETRY_DELAYS: '500ms',
      },
    });
  });

  after(async () => {
    await stack.stop();
    await smartHost.close();
    await redis.cleanup();
  });

  it('answers 451 4.3.0 while Redis is stopped, fails readiness, and recovers by itself', async () => {
    await redis.stop();
    const reply = await dataReply(stack.smtpPort);
    assert.equal(reply.code, 451);
    assert.match(reply.text, /^4\.3\.0 /);
    assert.ok(reply.elapsedMs < SOCKET_TIMEOUT_MS, `answered in ${String(reply.elapsedMs)} ms`);
    await waitFor(async () => (await readyStatus(stack.ingress.adminPort)) === 503, {
      description: 'ingress unready',
    });

    await redis.restart();
    await waitFor(async () => (await readyStatus(stack.ingress.adminPort)) === 200, {
      timeoutMs: 15_000,
      description: 'ingress ready again',
    });
    const id = await sendThroughRelay(stack.smtpPort);
    await smartHost.waitForMessages(1, 15_000);
    await stack.sender.waitForLog(
      (l) => l.event === 'delivery.delivered' && l['messageId'] === id,
      15_000,
    );
    assert.equal(smartHost.messages.length, 1, 'the refused message was never queued');
  });

  it('answers 451 within SMTP_SOCKET_TIMEOUT when Redis hangs (never 250, never silence)', async () => {
    smartHost.reset();
    redis.pause();
    try {
      const reply = await dataReply(stack.smtpPort);
      assert.equal(reply.code, 451);
      assert.ok(reply.elapsedMs < SOCKET_TIMEOUT_MS, `answered in ${String(reply.elapsedMs)} ms`);
    } finally {
      redis.resume();
    }
    const id = await sendThroughRelay(stack.smtpPort);
    await stack.sender.waitForLog(
      (l) => l.event === 'delivery.delivered' && l['messageId'] === id,
      15_000,
    );
  });

  it('stops on SIGTERM with exit code 0 within 30 s while Redis is down', async () => {
    await redis.stop();
    const started = Date.now();
    const codes = await stack.stop();
    assert.deepEqual(codes, [0, 0]);
    assert.ok(Date.now() - started < 30_000, `stopped in ${String(Date.now() - started)} ms`);
  });
});
