import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  deleteKeys,
  unreachableRedis,
  uniquePrefix,
  useTestRedis,
  type TestRedis,
} from '@smtp-relay/testkit';
import { Redis } from 'ioredis';
import { createThroughputRecorder, readThroughput } from '../src/index.ts';

// The dashboard's messages per minute: each process counts in memory and writes
// every few seconds; any process reads the sum of every replica.

const MINUTE = 60_000;
// 09:14:30 UTC: inside the 09:14 minute and the 09:10 ten minutes.
const AT = Date.UTC(2026, 11, 4, 9, 14, 30);

describe('throughput in Redis (real Redis)', () => {
  let testRedis: TestRedis;
  let redis: Redis;
  const prefix = uniquePrefix('throughput');

  before(async () => {
    testRedis = await useTestRedis();
    redis = new Redis(testRedis.url);
  });

  after(async () => {
    await deleteKeys(redis, prefix);
    redis.disconnect();
    await testRedis.cleanup();
  });

  it('two replicas add up, per minute over the hour and over the day', async () => {
    let clock = AT;
    const ingress = createThroughputRecorder({ redis, prefix, now: () => clock, flushEveryMs: 0 });
    const sender = createThroughputRecorder({ redis, prefix, now: () => clock, flushEveryMs: 0 });
    ingress.count('received');
    ingress.count('received');
    sender.count('delivered');
    sender.count('bounced', 3);
    sender.count('deferred', 0);
    clock = AT + MINUTE;
    sender.count('delivered');
    sender.count('deferred');
    await ingress.flush();
    await sender.close();

    const hour = await readThroughput(redis, prefix, 'hour', AT + MINUTE);
    assert.equal(hour.bucketMs, MINUTE);
    assert.equal(hour.buckets.length, 60);
    const last = hour.buckets.at(-1);
    const before = hour.buckets.at(-2);
    assert.deepEqual(last, {
      start: Date.UTC(2026, 11, 4, 9, 15),
      counts: { received: 0, delivered: 1, deferred: 1, bounced: 0 },
    });
    assert.deepEqual(before, {
      start: Date.UTC(2026, 11, 4, 9, 14),
      counts: { received: 2, delivered: 1, deferred: 0, bounced: 3 },
    });
    assert.equal(hour.buckets[0]?.start, Date.UTC(2026, 11, 4, 8, 16));
    assert.ok(
      hour.buckets.slice(0, -2).every((b) => Object.values(b.counts).every((n) => n === 0)),
    );

    const day = await readThroughput(redis, prefix, 'day', AT + MINUTE);
    assert.equal(day.bucketMs, MINUTE);
    assert.equal(day.buckets.length, 1440);
    assert.equal(day.buckets[0]?.start, Date.UTC(2026, 11, 3, 9, 16));
    assert.deepEqual(day.buckets.slice(-2), hour.buckets.slice(-2), 'the same minutes');

    // Kept only as long as the charts show them.
    const minuteKey = `${prefix}:throughput:1m:${String(Date.UTC(2026, 11, 4, 9, 14))}`;
    const ttl = await redis.pttl(minuteKey);
    assert.ok(ttl > 25.9 * 60 * MINUTE && ttl <= 26 * 60 * MINUTE, String(ttl));
  });

  it('nothing counted: a flush writes nothing', async () => {
    const quiet = `${prefix}:quiet`;
    await createThroughputRecorder({ redis, prefix: quiet, flushEveryMs: 0 }).flush();
    assert.deepEqual(await redis.keys(`${quiet}:*`), []);
  });

  it('a flush without Redis does not reject (a dip in the chart, not a failure)', async () => {
    const down = await unreachableRedis();
    const recorder = createThroughputRecorder({ redis: down, prefix, flushEveryMs: 0 });
    recorder.count('received');
    await recorder.close();
    down.disconnect();
  });
});
