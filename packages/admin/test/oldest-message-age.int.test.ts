import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  DELIVERY_JOB_NAME,
  newDeliveryJob,
  newMessageId,
  type DeliveryQueue,
} from '@smtp-relay/queue';
import { uniquePrefix } from '@smtp-relay/testkit';
import type { FastifyInstance } from 'fastify';
import { readOldestMessageAges } from '../src/oldest-message-age.ts';
import { startAdminApp, type AdminApp } from './admin-fixture.ts';

// smtp_relay_queue_oldest_message_age_seconds on a real Redis, scraped from
// /metrics like the queue depth (README "Metrics").

const MINUTE = 60_000;

/** Queues a message ingress accepted `ageMs` ago, due after `delay` ms. */
async function queueAccepted(queue: DeliveryQueue, ageMs: number, delay = 0): Promise<void> {
  const id = newMessageId();
  const job = newDeliveryJob({
    messageId: id,
    size: 20,
    mailFrom: 'scanner@lan.test',
    recipients: ['boss@example.test'],
    receivedAt: Date.now() - ageMs,
    client: { address: '192.0.2.7', helo: 'scanner.lan' },
    authUser: null,
    bodyType: '7bit',
    smtpUtf8: false,
    route: undefined,
  });
  await queue.add(DELIVERY_JOB_NAME, job, { jobId: id, delay });
}

async function scrapeAges(app: FastifyInstance): Promise<Map<string, number>> {
  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  const ages = new Map<string, number>();
  for (const [, state = '', value = ''] of metrics.matchAll(
    /^smtp_relay_queue_oldest_message_age_seconds\{state="(\w+)"\} (\S+)$/gm,
  )) {
    ages.set(state, Number(value));
  }
  return ages;
}

/** Fails unless `age` seconds is `expectedMs` ago, give or take the test's own run time. */
function assertAbout(age: number | undefined, expectedMs: number, what: string): void {
  assert.ok(age !== undefined, `${what}: not exported`);
  assert.ok(age >= expectedMs / 1000 && age < expectedMs / 1000 + 30, `${what}: ${String(age)}`);
}

describe('oldest message age gauge (real Redis)', () => {
  let admin: AdminApp;
  const prefix = uniquePrefix('oldest-age');

  before(async () => {
    admin = await startAdminApp(prefix, 'oldest-age-token-0123456789');
  });

  after(async () => {
    await admin.close();
  });

  it('is 0 for every state while the queue is empty', async () => {
    assert.deepEqual(
      await scrapeAges(admin.app),
      new Map([
        ['waiting', 0],
        ['delayed', 0],
        ['active', 0],
      ]),
    );
  });

  it('reports the oldest waiting and delayed message, 0 for the empty active state', async () => {
    // The older waiting message queued last: at the head of the list, as a
    // retry promoted from delayed would be, not at the tail.
    await queueAccepted(admin.queue, 2 * MINUTE);
    await queueAccepted(admin.queue, 10 * MINUTE);
    // Delayed is sorted by due time: the oldest is the one due first here.
    await queueAccepted(admin.queue, 90 * MINUTE, 5 * MINUTE);
    await queueAccepted(admin.queue, 1 * MINUTE, 60 * MINUTE);
    const ages = await scrapeAges(admin.app);
    assertAbout(ages.get('waiting'), 10 * MINUTE, 'waiting');
    assertAbout(ages.get('delayed'), 90 * MINUTE, 'delayed');
    assert.equal(ages.get('active'), 0);
  });
});

describe('readOldestMessageAges when a read fails', () => {
  it('leaves out the state it could not read and keeps the others', async () => {
    const queue = {
      getJobs: (types: readonly string[]) =>
        types.includes('delayed')
          ? Promise.reject(new Error('Connection is closed.'))
          : Promise.resolve([]),
    };
    assert.deepEqual(await readOldestMessageAges(queue), { waiting: 0, active: 0 });
  });
});
