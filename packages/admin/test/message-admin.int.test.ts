import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createDeliveryQueue,
  DELIVERY_JOB_NAME,
  newDeliveryJob,
  newMessageId,
  type DeliveryQueue,
} from '@smtp-relay/queue';
import { createRedisMessageStore, type MessageStore } from '@smtp-relay/store';
import { connectTestRedis, uniquePrefix, type TestRedisConnection } from '@smtp-relay/testkit';
import { Redis } from 'ioredis';
import { createMessageAdmin, type MessageAdmin } from '../src/message-admin.ts';

describe('message admin (real Redis, real BullMQ)', () => {
  let redis: TestRedisConnection<Redis>;
  let queue: DeliveryQueue;
  let store: MessageStore;
  let admin: MessageAdmin;
  const prefix = uniquePrefix('admin');

  before(async () => {
    redis = await connectTestRedis(prefix, (url) => new Redis(url));
    const { connection } = redis;
    queue = createDeliveryQueue({ connection, prefix });
    store = createRedisMessageStore({ redis: connection, prefix });
    admin = createMessageAdmin({ queue, store, redis: connection, prefix });
  });

  after(async () => {
    await queue.close();
    await redis.close();
  });

  /** A message as ingress leaves it: body stored, job queued (delayed, like a retry). */
  async function queued(delay: number): Promise<string> {
    const id = newMessageId();
    const writer = store.openWriter(id);
    await writer.write(Buffer.from('Subject: x\r\n\r\nbody\r\n'));
    const size = await writer.finish();
    const job = newDeliveryJob({
      messageId: id,
      size,
      mailFrom: 'device@lan.test',
      recipients: ['boss@example.test'],
      receivedAt: Date.now(),
      client: { address: '192.0.2.7', helo: 'device.lan' },
      authUser: null,
      bodyType: '7bit',
      smtpUtf8: false,
    });
    await queue.add(DELIVERY_JOB_NAME, job, { jobId: id, delay });
    return id;
  }

  it('shows a delayed message with its envelope and when its next attempt is due', async () => {
    const id = await queued(3_600_000);
    const job = await queue.getJob(id);
    assert.ok(job);
    const { messages } = await admin.list('delayed', 100);
    const view = messages.find((m) => m.id === id);
    assert.ok(view, 'listed');
    assert.equal(view.state, 'delayed');
    assert.deepEqual(
      [view.from, view.to, view.client],
      ['device@lan.test', ['boss@example.test'], 'device.lan [192.0.2.7]'],
    );
    assert.equal(view.nextAttemptAt, new Date(job.timestamp + 3_600_000).toISOString());
    assert.deepEqual(await admin.get(id), view);
  });

  it('retry moves a delayed message to the front: waiting, no next attempt time', async () => {
    const id = await queued(3_600_000);
    assert.deepEqual(await admin.retry(id), { ok: true, message: 'queued for an attempt now' });
    const view = await admin.get(id);
    assert.equal(view?.state, 'waiting');
    assert.equal(view.nextAttemptAt, null);
  });

  it('remove drops the job and its body; an unknown id is 404', async () => {
    const id = await queued(3_600_000);
    assert.equal((await admin.remove(id)).ok, true);
    assert.equal(await admin.get(id), undefined);
    assert.equal(await store.exists(id), false);
    assert.deepEqual(await admin.retry(id), { ok: false, status: 404, message: 'no such message' });
  });
});
