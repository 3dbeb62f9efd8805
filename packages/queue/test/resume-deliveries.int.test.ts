import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { uniquePrefix, type TestRedisConnection } from '@smtp-relay/testkit';
import type { Redis } from 'ioredis';
import { DELIVERY_JOB_NAME } from '../src/delivery-job.ts';
import type { DeliveryQueue } from '../src/delivery-queue.ts';
import { holdKeys } from '../src/hold-keys.ts';
import { newMessageId } from '../src/message-id.ts';
import { nextAttemptAt } from '../src/queued-job.ts';
import { resumeDeliveries } from '../src/resume-deliveries.ts';
import { jobFor, openTestQueue, type TestQueue } from './queue-fixture.ts';

// `npx smtp-relay queue resume` against a real Redis and a real BullMQ queue,
// with the hold keys laid out as the sender's redis-hold-store.ts writes them
// (services/sender/test/resume-hold.int.test.ts resumes the sender's own).

const HOUR = 3_600_000;
// What queue.rateLimit() (and the sender's hold) writes into the rate limit key.
const PAUSED = String(Number.MAX_SAFE_INTEGER);

describe('resumeDeliveries (real Redis, real BullMQ)', () => {
  let fixture: TestQueue;
  let redis: TestRedisConnection<Redis>;
  let queue: DeliveryQueue;
  const prefix = uniquePrefix('resume');

  before(async () => {
    fixture = await openTestQueue(prefix);
    ({ redis, queue } = fixture);
  });

  after(async () => {
    await fixture.close();
  });

  // Several rounds of SCAN and ZSCAN even with a few keys.
  const resume = () => resumeDeliveries({ queue, redis: redis.connection, prefix, batch: 2 });
  const get = (key: string) => redis.connection.get(key);
  const exists = (key: string) => redis.connection.exists(key);

  /** A delayed job of `route`; `held`: sent back to wait for its route's hold, as the sender does. */
  async function delayed(route: string, how: 'held' | 'retry'): Promise<string> {
    const id = newMessageId();
    await queue.add(DELIVERY_JOB_NAME, { ...jobFor(id), route }, { jobId: id, delay: HOUR });
    if (how === 'held') {
      const until = await nextAttemptAt(queue, id);
      assert.ok(until !== undefined);
      await (
        await queue.getJob(id)
      )?.updateData({
        ...jobFor(id),
        route,
        waiting: { reason: 'held', until },
      });
    }
    return id;
  }

  const stateOf = async (id: string) => (await queue.getJob(id))?.getState();

  it('nothing held: nothing to end', async () => {
    // BullMQ counting jobs in its rate limit key is no hold.
    await redis.connection.set(queue.toKey('limiter'), '7', 'PX', 1000);
    assert.deepEqual(await resume(), { queueHold: false, routes: [], promoted: 0 });
  });

  it('the route-less hold: the queue rate limit lifted, the holds in a row kept', async () => {
    const keys = holdKeys(prefix, undefined);
    await redis.connection.set(keys.holds, '2');
    await redis.connection.set(keys.until, '1', 'PX', HOUR);
    await redis.connection.set(queue.toKey('limiter'), PAUSED, 'PX', HOUR);
    assert.ok((await queue.getRateLimitTtl(1_000_000)) > 0, 'BullMQ sees the hold');

    assert.deepEqual(await resume(), { queueHold: true, routes: [], promoted: 0 });
    assert.ok((await queue.getRateLimitTtl(1_000_000)) <= 0, 'the workers take jobs again');
    assert.equal(await exists(queue.toKey('limiter')), 0);
    assert.equal(await exists(keys.until), 0);
    // A probe that fails the same way holds longer (docs/adr/003).
    assert.equal(await get(keys.holds), '2');
    await redis.connection.del(keys.holds);
  });

  it("routes' holds: their waiting messages back now, retries and other routes left alone", async () => {
    // sales: a hold runs. isp: its hold ended, its probe is out, the route pauses.
    const sales = holdKeys(prefix, 'sales');
    await redis.connection.set(sales.holds, '3');
    await redis.connection.set(sales.until, '1', 'PX', HOUR);
    await redis.connection.set(sales.paused, PAUSED, 'PX', HOUR);
    const isp = holdKeys(prefix, 'isp');
    await redis.connection.set(isp.holds, '1');
    await redis.connection.set(isp.probe, 'probe-job', 'PX', HOUR);
    await redis.connection.set(isp.paused, PAUSED, 'PX', HOUR);
    // bulk: not held, its holds in a row only (the hold ran out).
    const bulk = holdKeys(prefix, 'bulk');
    await redis.connection.set(bulk.holds, '1');

    const heldSales = [await delayed('sales', 'held'), await delayed('sales', 'held')];
    const heldIsp = await delayed('isp', 'held');
    const salesRetry = await delayed('sales', 'retry');
    const bulkWaiting = await delayed('bulk', 'held');
    const bulkRetry = await delayed('bulk', 'retry');
    // Sent back for the hold once, then deferred by the smart host: a retry now.
    const staleSales = await delayed('sales', 'retry');
    await (
      await queue.getJob(staleSales)
    )?.updateData({
      ...jobFor(staleSales),
      route: 'sales',
      waiting: { reason: 'held', until: Date.now() - 1000 },
    });

    assert.deepEqual(await resume(), { queueHold: false, routes: ['isp', 'sales'], promoted: 3 });

    for (const id of [...heldSales, heldIsp]) assert.equal(await stateOf(id), 'waiting', id);
    for (const id of [salesRetry, staleSales, bulkWaiting, bulkRetry]) {
      assert.equal(await stateOf(id), 'delayed', id);
    }
    // The waits ended; the holds in a row and the probe out stay.
    for (const key of [sales.until, sales.paused, isp.paused]) assert.equal(await exists(key), 0);
    assert.equal(await get(sales.holds), '3');
    assert.equal(await get(isp.holds), '1');
    assert.equal(await get(isp.probe), 'probe-job');
    assert.equal(await get(bulk.holds), '1');

    assert.deepEqual(await resume(), { queueHold: false, routes: [], promoted: 0 });
  });

  it('a delayed set too large to come in one ZSCAN reply: every waiting message back', async () => {
    await redis.connection.set(holdKeys(prefix, 'sales').until, '1', 'PX', HOUR);
    const ids = Array.from({ length: 300 }, () => newMessageId());
    await queue.addBulk(
      ids.map((id, n) => ({
        name: DELIVERY_JOB_NAME,
        data: { ...jobFor(id), route: n % 2 === 0 ? 'sales' : 'bulk' },
        opts: { jobId: id, delay: HOUR },
      })),
    );
    await Promise.all(
      ids.map(async (id, n) => {
        const until = await nextAttemptAt(queue, id);
        assert.ok(until !== undefined);
        const route = n % 2 === 0 ? 'sales' : 'bulk';
        await (
          await queue.getJob(id)
        )?.updateData({ ...jobFor(id), route, waiting: { reason: 'held', until } });
      }),
    );
    const resumed = await resumeDeliveries({ queue, redis: redis.connection, prefix, batch: 10 });
    assert.deepEqual(resumed, { queueHold: false, routes: ['sales'], promoted: 150 });
    const states = await Promise.all(ids.map(stateOf));
    assert.deepEqual(
      states.filter((_, n) => n % 2 === 0),
      Array<string>(150).fill('waiting'),
    );
    assert.deepEqual(
      states.filter((_, n) => n % 2 === 1),
      Array<string>(150).fill('delayed'),
    );
  });

  it('the route-less and a route hold together', async () => {
    await redis.connection.set(queue.toKey('limiter'), PAUSED, 'PX', HOUR);
    await redis.connection.set(holdKeys(prefix, 'sales').until, '1', 'PX', HOUR);
    assert.deepEqual(await resume(), { queueHold: true, routes: ['sales'], promoted: 0 });
  });
});
