import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deleteKeys, uniquePrefix, useTestRedis, type TestRedis } from '@smtp-relay/testkit';
import { Redis } from 'ioredis';
import {
  HISTORY_SCAN_BUDGET,
  createRedisMessageHistory,
  historyKeys,
  type FinishedMessage,
  type HistorySettings,
} from '../src/index.ts';

// The history as the senders write it and every admin API reads it, in a real Redis.

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const START = Date.UTC(2026, 11, 4, 9, 14, 0);

function finished(
  id: string,
  finishedAt: number,
  fields: Partial<FinishedMessage> = {},
): FinishedMessage {
  return {
    id,
    from: 'scanner@office.example',
    to: ['alice@example.com'],
    subject: `Scan ${id}`,
    size: 1000,
    client: { address: '192.0.2.7', helo: 'mfp.lan' },
    authUser: null,
    route: null,
    receivedAt: finishedAt - 1000,
    finishedAt,
    reply: `250 2.0.0 Ok: queued as Q${id}`,
    smartHostQueueId: `Q${id}`,
    lastAttempt: {
      at: finishedAt,
      outcome: 'delivered',
      delivered: ['alice@example.com'],
      bounced: [],
      reply: `250 2.0.0 Ok: queued as Q${id}`,
    },
    ...fields,
  };
}

describe('Redis message history (real Redis)', () => {
  let testRedis: TestRedis;
  let redis: Redis;
  let clock = START;
  const prefixes: string[] = [];
  const history = (settings: HistorySettings) => {
    const prefix = uniquePrefix('history');
    prefixes.push(prefix);
    return {
      prefix,
      history: createRedisMessageHistory({ redis, prefix, settings, now: () => clock }),
    };
  };

  before(async () => {
    testRedis = await useTestRedis();
    redis = new Redis(testRedis.url, { maxRetriesPerRequest: 1 });
  });

  after(async () => {
    for (const prefix of prefixes) await deleteKeys(redis, prefix);
    redis.disconnect();
    await testRedis.cleanup();
  });

  it('a deferred attempt, then the finish: one record with both attempts, the list gone', async () => {
    clock = START;
    const { prefix, history: h } = history({ retentionMs: 7 * DAY, maxMessages: 100 });
    await h.recordAttempt(
      'MSG00001',
      {
        at: START - 5 * MINUTE,
        outcome: 'deferred',
        delivered: [],
        bounced: ['bob@example.com'],
        reply: '450 4.7.1 Greylisted',
      },
      DAY,
    );
    const attemptsKey = historyKeys(prefix).attempts('MSG00001');
    const ttl = await redis.pttl(attemptsKey);
    assert.ok(ttl > DAY - MINUTE && ttl <= DAY, String(ttl));
    await h.finish(
      finished('MSG00001', START, {
        to: ['alice@example.com', 'bob@example.com'],
      }),
    );
    const record = await h.get('MSG00001');
    assert.deepEqual(
      record?.attempts.map((a) => [a.outcome, a.reply]),
      [
        ['deferred', '450 4.7.1 Greylisted'],
        ['delivered', '250 2.0.0 Ok: queued as QMSG00001'],
      ],
    );
    assert.deepEqual(record.delivered, ['alice@example.com']);
    assert.deepEqual(record.bounced, ['bob@example.com']);
    assert.equal(await redis.exists(attemptsKey), 0);
    assert.equal(await h.count(), 1);
  });

  it('a last attempt that delivered nobody: kept when an earlier one delivered, else nothing', async () => {
    clock = START;
    const { prefix, history: h } = history({ retentionMs: 7 * DAY, maxMessages: 100 });
    const failedLast = (id: string) =>
      finished(id, START, {
        to: ['alice@example.com', 'bob@example.com'],
        reply: 'bob@example.com: 550 5.1.1 No such user',
        lastAttempt: {
          at: START,
          outcome: 'failed',
          delivered: [],
          bounced: ['bob@example.com'],
          reply: 'bob@example.com: 550 5.1.1 No such user',
        },
      });
    await h.recordAttempt(
      'MSGPART1',
      {
        at: START - MINUTE,
        outcome: 'deferred',
        delivered: ['alice@example.com'],
        bounced: [],
        reply: '451 4.7.1 later',
      },
      DAY,
    );
    await h.finish(failedLast('MSGPART1'));
    const partly = await h.get('MSGPART1');
    assert.deepEqual(partly?.delivered, ['alice@example.com']);
    assert.deepEqual(partly.bounced, ['bob@example.com']);
    assert.deepEqual(
      partly.attempts.map((a) => a.outcome),
      ['deferred', 'failed'],
    );

    await h.recordAttempt(
      'MSGNONE1',
      {
        at: START - MINUTE,
        outcome: 'deferred',
        delivered: [],
        bounced: [],
        reply: '451 4.7.1 later',
      },
      DAY,
    );
    await h.finish(failedLast('MSGNONE1'));
    assert.equal(await h.get('MSGNONE1'), undefined);
    assert.equal(
      await redis.exists(historyKeys(prefix).attempts('MSGNONE1')),
      0,
      'its attempts go',
    );
    await h.finish(failedLast('MSGNONE2'));
    assert.equal(await h.get('MSGNONE2'), undefined);
  });

  it("an operator's retry: the record waits for the new run's end and keeps every attempt", async () => {
    clock = START;
    const { prefix, history: h } = history({ retentionMs: 7 * DAY, maxMessages: 100 });
    const run = (at: number, delivered: string[], bounced: string[]) =>
      h.finish(
        finished('MSGRETRY', at, {
          to: ['alice@example.com', 'bob@example.com'],
          lastAttempt: { at, outcome: 'delivered', delivered, bounced, reply: '250 2.0.0 Ok' },
        }),
      );
    await run(START, ['alice@example.com'], ['bob@example.com']);
    await h.reopen('MSGRETRY', DAY);
    assert.equal(await h.get('MSGRETRY'), undefined, 'queued again: not in the history meanwhile');
    assert.equal(await h.count(), 0);
    const ttl = await redis.pttl(historyKeys(prefix).attempts('MSGRETRY'));
    assert.ok(ttl > DAY - MINUTE && ttl <= DAY, String(ttl));
    clock = START + 10 * MINUTE;
    await run(clock, ['bob@example.com'], []);
    const record = await h.get('MSGRETRY');
    assert.deepEqual(record?.delivered, ['alice@example.com', 'bob@example.com']);
    assert.deepEqual(record.bounced, ['bob@example.com']);
    assert.equal(record.attempts.length, 2);
    // Nothing to reopen: no record, no list.
    await h.reopen('MSGNOREC', DAY);
    assert.equal(await redis.exists(historyKeys(prefix).attempts('MSGNOREC')), 0);
  });

  it('search: by text, newest first, within a time range, up to the limit', async () => {
    clock = START;
    const { history: h } = history({ retentionMs: 7 * DAY, maxMessages: 100 });
    for (let i = 0; i < 10; i++) {
      await h.finish(
        finished(`MSG0001${String(i)}`, START - (10 - i) * MINUTE, {
          to: [i % 2 === 0 ? 'even@example.com' : 'odd@example.com'],
        }),
      );
    }
    const even = await h.search({ text: 'EVEN@', limit: 100 });
    assert.deepEqual(
      even.messages.map((m) => m.id),
      ['MSG00018', 'MSG00016', 'MSG00014', 'MSG00012', 'MSG00010'],
    );
    assert.deepEqual([even.complete, even.scanned, even.inRange], [true, 10, 10]);

    const ranged = await h.search({
      text: '',
      since: START - 6 * MINUTE,
      until: START - 3 * MINUTE,
      limit: 100,
    });
    assert.deepEqual(
      ranged.messages.map((m) => m.id),
      ['MSG00017', 'MSG00016', 'MSG00015', 'MSG00014'],
    );
    assert.equal(ranged.inRange, 4);

    const limited = await h.search({ text: 'odd', limit: 2 });
    assert.deepEqual(
      limited.messages.map((m) => m.id),
      ['MSG00019', 'MSG00017'],
    );
    assert.equal(limited.complete, false, 'stopped at the limit before the end of the range');

    const bySubject = await h.search({ text: 'scan msg00013', limit: 10 });
    assert.deepEqual(
      bySubject.messages.map((m) => m.id),
      ['MSG00013'],
    );
    const byQueueId = await h.search({ text: 'qmsg00012', limit: 10 });
    assert.deepEqual(
      byQueueId.messages.map((m) => m.id),
      ['MSG00012'],
    );
  });

  it('HISTORY_RETENTION: older records are not found, and a later write deletes them', async () => {
    clock = START;
    const { prefix, history: h } = history({ retentionMs: DAY, maxMessages: 100 });
    await h.finish(finished('MSGOLD01', START));
    clock = START + DAY + MINUTE;
    assert.equal(await h.get('MSGOLD01'), undefined);
    assert.equal(await h.count(), 0);
    assert.deepEqual((await h.search({ text: '', limit: 10 })).messages, []);
    await h.finish(finished('MSGNEW01', clock));
    const keys = historyKeys(prefix);
    assert.deepEqual(await redis.hkeys(keys.records), ['MSGNEW01']);
    assert.deepEqual(await redis.zrange(keys.index, '0', '-1'), ['MSGNEW01']);
  });

  it('HISTORY_MAX_MESSAGES: the oldest records go first', async () => {
    clock = START;
    const { prefix, history: h } = history({ retentionMs: 7 * DAY, maxMessages: 3 });
    for (let i = 0; i < 5; i++)
      await h.finish(finished(`MSGMAX0${String(i)}`, START - (5 - i) * 1000));
    const keys = historyKeys(prefix);
    assert.deepEqual(await redis.zrange(keys.index, '0', '-1'), [
      'MSGMAX02',
      'MSGMAX03',
      'MSGMAX04',
    ]);
    assert.equal(await redis.hlen(keys.records), 3);
    assert.equal(await h.count(), 3);
  });

  it(`stops after ${String(HISTORY_SCAN_BUDGET)} records and says the search is not complete`, async () => {
    clock = START;
    const { prefix, history: h } = history({
      retentionMs: 7 * DAY,
      maxMessages: HISTORY_SCAN_BUDGET + 500,
    });
    // Written directly: the script path is covered above, this is about reading.
    const keys = historyKeys(prefix);
    const total = HISTORY_SCAN_BUDGET + 200;
    const pipeline = redis.pipeline();
    for (let i = 0; i < total; i++) {
      const id = `MSGB${String(i).padStart(6, '0')}`;
      const { lastAttempt, ...rest } = finished(id, START - total + i);
      pipeline.hset(
        keys.records,
        id,
        JSON.stringify({
          v: 1,
          record: { ...rest, delivered: [], bounced: [], attempts: [lastAttempt] },
        }),
      );
      pipeline.zadd(keys.index, START - total + i, id);
    }
    await pipeline.exec();
    const page = await h.search({ text: 'MSGB000000', limit: 10 });
    assert.deepEqual(page.messages, [], 'the oldest one lies beyond the budget');
    assert.equal(page.scanned, HISTORY_SCAN_BUDGET);
    assert.equal(page.complete, false);
    assert.equal(page.inRange, total);
  });

  it('HISTORY_RETENTION=0: writes nothing, finds nothing', async () => {
    const { prefix, history: h } = history({ retentionMs: 0, maxMessages: 100 });
    assert.equal(h.enabled, false);
    await h.recordAttempt('MSGOFF01', finished('MSGOFF01', START).lastAttempt, DAY);
    await h.finish(finished('MSGOFF01', START));
    assert.deepEqual(await redis.keys(`${prefix}:*`), []);
    assert.equal(await h.get('MSGOFF01'), undefined);
  });
});
