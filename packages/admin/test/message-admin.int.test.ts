import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createDeliveryQueue,
  DELIVERY_JOB_NAME,
  newDeliveryJob,
  newMessageId,
  type DeliveryQueue,
} from '@smtp-relay/queue';
import {
  createRedisFailedMessages,
  createRedisMessageStore,
  type FailedMessages,
  type MessageStore,
} from '@smtp-relay/store';
import {
  connectTestRedis,
  uniquePrefix,
  waitFor,
  type TestRedisConnection,
} from '@smtp-relay/testkit';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { createMessageAdmin, type MessageAdmin } from '../src/message-admin.ts';

describe('message admin (real Redis, real BullMQ)', () => {
  let redis: TestRedisConnection<Redis>;
  let queue: DeliveryQueue;
  let store: MessageStore;
  let admin: MessageAdmin;
  let failed: FailedMessages;
  const prefix = uniquePrefix('admin');

  before(async () => {
    redis = await connectTestRedis(prefix, (url) => new Redis(url));
    const { connection } = redis;
    queue = createDeliveryQueue({ connection, prefix });
    store = createRedisMessageStore({ redis: connection, prefix });
    admin = createMessageAdmin({
      queue,
      store,
      redis: connection,
      prefix,
      history: { retentionMs: 7 * 86_400_000, maxMessages: 100_000 },
    });
    failed = createRedisFailedMessages({ redis: connection, prefix });
  });

  after(async () => {
    await queue.close();
    await redis.close();
  });

  /** A message as ingress leaves it: body stored, job queued (delayed, like a retry). */
  async function queued(delay: number, recipients = ['boss@example.test']): Promise<string> {
    const id = newMessageId();
    const writer = store.openWriter(id);
    await writer.write(Buffer.from('Subject: x\r\n\r\nbody\r\n'));
    const size = await writer.finish();
    const job = newDeliveryJob({
      messageId: id,
      size,
      mailFrom: 'device@lan.test',
      recipients,
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

  /**
   * What the sender leaves of a message whose recipients `failing` bounced:
   * their record, the job finished (failed when nobody got it, completed
   * otherwise) and the body kept for `retentionMs`.
   */
  async function bounced(
    recipients: readonly string[],
    failing: readonly string[],
    retentionMs = 3_600_000,
  ): Promise<string> {
    const id = await finished(recipients, failing.length === recipients.length);
    const job = await queue.getJob(id);
    assert.ok(job);
    await failed.recordFailed(id, JSON.stringify(job.data), failing, retentionMs);
    assert.equal(await failed.finish(id, retentionMs), true);
    return id;
  }

  /** A message taken by a worker (BullMQ's manual processing) and finished: failed or completed. */
  async function finished(recipients: readonly string[], fails: boolean): Promise<string> {
    // The worker must take this message: earlier tests' waiting ones go.
    await queue.drain();
    const id = await queued(0, [...recipients]);
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const worker = new Worker(queue.name, null, { connection, prefix });
    try {
      const token = 'test-token';
      const taken = (await worker.getNextJob(token)) as Job | undefined;
      assert.equal(taken?.id, id);
      if (fails) {
        await taken.moveToFailed(new UnrecoverableError('550 5.1.1 No such user'), token, false);
      } else {
        await taken.moveToCompleted('250 2.0.0 Ok', token, false);
      }
    } finally {
      await worker.close();
      connection.disconnect();
    }
    return id;
  }

  it('retry of a bounced message: a new job to the recipients that failed, the body kept again', async () => {
    const id = await bounced(['alice@example.test'], ['alice@example.test']);
    const before = await admin.get(id);
    assert.equal(before?.state, 'failed');
    assert.deepEqual(before.failedRecipients, ['alice@example.test']);
    assert.ok(before.retryableUntil !== null && Date.parse(before.retryableUntil) > Date.now());

    assert.deepEqual(await admin.retry(id), {
      ok: true,
      message: 'queued again for alice@example.test',
    });
    const after = await admin.get(id);
    assert.equal(after?.state, 'waiting');
    assert.deepEqual(after.to, ['alice@example.test']);
    assert.deepEqual(after.failedRecipients, []);
    assert.equal(await redis.connection.pttl(`${prefix}:body:${id}`), -1, 'kept without end');
    // Queued now: nothing more to retry.
    assert.deepEqual(await admin.retry(id), {
      ok: false,
      status: 409,
      message: 'the message is waiting; nothing to retry',
    });
  });

  it('retry of a partly delivered message goes to the failed recipient only', async () => {
    const id = await bounced(['alice@example.test', 'bob@example.test'], ['bob@example.test']);
    assert.equal((await admin.get(id))?.state, 'completed');
    assert.equal((await admin.retry(id)).ok, true);
    const view = await admin.get(id);
    assert.deepEqual([view?.state, view?.to], ['waiting', ['bob@example.test']]);
    assert.deepEqual(view?.originalTo, ['alice@example.test', 'bob@example.test']);
  });

  it('retry once FAILED_RETENTION has passed: 409, the body is gone', async () => {
    const id = await bounced(['alice@example.test'], ['alice@example.test'], 50);
    await waitFor(async () => !(await store.exists(id)), {
      timeoutMs: 5000,
      description: 'Redis expiring the body',
    });
    assert.deepEqual(await admin.retry(id), {
      ok: false,
      status: 409,
      message: 'the message body is no longer kept (FAILED_RETENTION has passed)',
    });
  });

  it('a delivered message has nothing to retry', async () => {
    const id = await finished(['alice@example.test'], false);
    assert.deepEqual(await admin.retry(id), {
      ok: false,
      status: 409,
      message: 'no recipient of the message failed; nothing to retry',
    });
  });

  it('delete of a failed message whose job has gone: its body and record go', async () => {
    const id = await bounced(['alice@example.test'], ['alice@example.test']);
    await (await queue.getJob(id))?.remove();
    assert.deepEqual(await admin.remove(id), { ok: true, message: 'deleted (no bounce is sent)' });
    assert.equal(await store.exists(id), false);
    assert.equal(await failed.read(id), undefined);
  });

  it('ids that are not message ids are 404, and the queue’s own keys stay', async () => {
    await queued(3_600_000);
    for (const id of ['meta', 'id', 'stalled-check', 'events', '01ARZ3NDEKTSV4RRFFQ69G5FA']) {
      assert.equal(await admin.get(id), undefined, id);
      assert.deepEqual(await admin.retry(id), {
        ok: false,
        status: 404,
        message: 'no such message',
      });
      assert.deepEqual(await admin.remove(id), {
        ok: false,
        status: 404,
        message: 'no such message',
      });
    }
    assert.equal(await redis.connection.exists(`${prefix}:delivery:meta`), 1);
  });
});
