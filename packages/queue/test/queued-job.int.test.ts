import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { uniquePrefix } from '@smtp-relay/testkit';
import { DELIVERY_JOB_NAME } from '../src/delivery-job.ts';
import type { DeliveryQueue } from '../src/delivery-queue.ts';
import { newMessageId } from '../src/message-id.ts';
import { hasJob, nextAttemptAt } from '../src/queued-job.ts';
import { jobFor, openTestQueue, type TestQueue } from './queue-fixture.ts';

describe('hasJob and nextAttemptAt (real Redis, real BullMQ)', () => {
  let fixture: TestQueue;
  let queue: DeliveryQueue;
  const prefix = uniquePrefix('queued-job');

  before(async () => {
    fixture = await openTestQueue(prefix);
    ({ queue } = fixture);
  });

  after(async () => {
    await fixture.close();
  });

  it('a waiting job: there, with no next attempt', async () => {
    const id = newMessageId();
    await queue.add(DELIVERY_JOB_NAME, jobFor(id), { jobId: id });
    assert.equal(await hasJob(queue, id), true);
    assert.equal(await nextAttemptAt(queue, id), undefined);
  });

  it('a delayed job: its next attempt is when BullMQ will run it', async () => {
    const id = newMessageId();
    const delay = 90_000;
    const before = Date.now();
    await queue.add(DELIVERY_JOB_NAME, jobFor(id), { jobId: id, delay });
    const after = Date.now();
    assert.equal(await hasJob(queue, id), true);
    const due = await nextAttemptAt(queue, id);
    assert.ok(due !== undefined, 'delayed');
    assert.ok(due >= before + delay && due <= after + delay, `due ${String(due - before)} ms on`);
  });

  it('jobs due in the same millisecond all read as that millisecond', async () => {
    const ids = [newMessageId(), newMessageId(), newMessageId()];
    const delay = 3_600_000;
    // One pipeline: very likely the same millisecond, so BullMQ's counter is used.
    await queue.addBulk(
      ids.map((id) => ({ name: DELIVERY_JOB_NAME, data: jobFor(id), opts: { jobId: id, delay } })),
    );
    const dues = await Promise.all(ids.map((id) => nextAttemptAt(queue, id)));
    const jobs = await Promise.all(ids.map((id) => queue.getJob(id)));
    jobs.forEach((job, index) => {
      assert.ok(job, 'added');
      assert.equal(dues[index], job.timestamp + delay);
    });
  });

  it('no such job: absent, no next attempt', async () => {
    assert.equal(await hasJob(queue, 'never-queued-id'), false);
    assert.equal(await nextAttemptAt(queue, 'never-queued-id'), undefined);
  });
});
