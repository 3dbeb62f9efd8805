import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { smtpConversation, startRedisServer, type RedisServerHandle } from '@smtp-relay/testkit';
import { readQueueState } from './harness/queue-state.ts';
import { startRelayStack, type RelayStack } from './harness/relay-stack.ts';

// docker-compose.yml caps Redis (REDIS_MAXMEMORY, `maxmemory-policy noeviction`): when
// the cap is reached Redis refuses writes, and ingress must answer with a 4xx the device
// retries (never a 5xx that makes it drop the mail, never a crash), keep every message
// it answered 250 for, and take mail again as soon as there is room.

// The cap is set above what Redis already holds once ingress is up (its scripts, the
// abuse counters), so that the room left is known whatever this redis-server's baseline.
const ROOM_BYTES = 1024 * 1024;
// Each message takes about this much of it: the cap is reached after a dozen or so.
const BODY_BYTES = 64 * 1024;
// Far more than the room holds: a relay that never refuses fails the test, not the loop.
const MAX_ATTEMPTS = 200;

interface Reply {
  readonly code: number;
  readonly text: string;
}

/** One message from a LAN device; resolves with the final reply to its data. */
async function submitMessage(port: number, marker: string): Promise<Reply> {
  const session = await smtpConversation({ port });
  try {
    assert.equal((await session.send('EHLO printer.test')).code, 250);
    const mail = await session.send('MAIL FROM:<scan@lan.test>');
    if (mail.code !== 250) return mail;
    const rcpt = await session.send('RCPT TO:<boss@example.test>');
    if (rcpt.code !== 250) return rcpt;
    const data = await session.send('DATA');
    if (data.code !== 354) return data;
    const line = `${'x'.repeat(76)}\r\n`;
    const body = line.repeat(Math.ceil(BODY_BYTES / line.length));
    session.sendRaw(`Subject: ${marker}\r\n\r\n${marker}\r\n${body}.\r\n`);
    const reply = await session.readReply();
    await session.send('QUIT');
    return reply;
  } finally {
    await session.close();
  }
}

function queuedId(reply: Reply): string {
  const match = /^2\.0\.0 Ok: queued as (\S+)$/.exec(reply.text);
  assert.ok(reply.code === 250 && match?.[1], `${String(reply.code)} ${reply.text}`);
  return match[1];
}

describe('Redis full (maxmemory with noeviction)', () => {
  let server: RedisServerHandle;
  let redis: Redis;
  let stack: RelayStack;

  before(async () => {
    server = await startRedisServer();
    redis = new Redis(server.url);
    // No sender: nothing drains the queue, so it only fills.
    stack = await startRelayStack({
      redisUrl: server.url,
      smartHost: { port: 9, tls: 'none' },
      withoutSender: true,
      variables: { SMTP_RELAY_NETWORKS: '127.0.0.0/8' },
    });
  });

  after(async () => {
    const codes = await stack.stop();
    redis.disconnect();
    await server.cleanup();
    assert.deepEqual(codes, [0]);
  });

  it('answers 4xx when Redis refuses writes, keeps every queued message, and takes mail again once there is room', async () => {
    const used = Number(/^used_memory:(\d+)/m.exec(await redis.info('memory'))?.[1]);
    assert.ok(used > 0);
    await redis.config('SET', 'maxmemory', String(used + ROOM_BYTES));

    const queued = new Map<string, string>();
    let refusal: Reply | undefined;
    for (let attempt = 0; attempt < MAX_ATTEMPTS && refusal === undefined; attempt++) {
      const marker = `redis-full-${String(attempt)}`;
      const reply = await submitMessage(stack.smtpPort, marker);
      if (reply.code === 250) queued.set(queuedId(reply), marker);
      else refusal = reply;
    }
    assert.ok(refusal, `still answering 250 after ${String(MAX_ATTEMPTS)} messages`);
    assert.ok(queued.size > 0, 'refused before the first message: the room was too small');
    // 451/452 with a 4.3.x code (mail system full or unavailable): the device retries.
    assert.match(`${String(refusal.code)} ${refusal.text}`, /^45[12] 4\.3\.\d /);

    // Still alive, still talking.
    assert.equal(stack.ingress.child.exitCode, null);
    const session = await smtpConversation({ port: stack.smtpPort });
    assert.equal((await session.send('EHLO printer.test')).code, 250);
    await session.close();

    // Every 250 is a stored message with its job. The refused one has no job; its
    // body is left only when Redis refused the job after taking the body (which
    // of the two fills Redis first depends on a few bytes): an add that failed
    // may still land, so ingress keeps the body and the sender's orphan sweep
    // removes it (docs/adr/011).
    const { prefix } = stack;
    for (const [id, marker] of queued) {
      assert.equal(await redis.exists(`${prefix}:delivery:${id}`), 1, `job ${id}`);
      const body = Buffer.concat(await redis.lrangeBuffer(`${prefix}:body:${id}`, 0, -1));
      assert.ok(body.includes(`Subject: ${marker}\r\n`), `body of ${id}`);
    }
    const state = await readQueueState(server.url, prefix);
    assert.equal(state.jobs, queued.size);
    assert.ok(
      state.bodies === queued.size || state.bodies === queued.size + 1,
      `bodies: ${String(state.bodies)} for ${String(queued.size)} queued`,
    );
    for (const key of await redis.keys(`${prefix}:body:*`)) {
      const id = key.slice(`${prefix}:body:`.length);
      if (!queued.has(id)) assert.equal(await redis.exists(`${prefix}:delivery:${id}`), 0, key);
    }

    await redis.config('SET', 'maxmemory', '0');
    const id = queuedId(await submitMessage(stack.smtpPort, 'redis-full-after'));
    assert.equal(await redis.exists(`${prefix}:body:${id}`), 1);
  });
});
