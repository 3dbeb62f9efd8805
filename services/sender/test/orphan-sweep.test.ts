import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryMessageStore } from '@smtp-relay/store';
import { sweepOrphanBodies } from '../src/orphan-sweep.ts';

const MIN_IDLE_SECONDS = 6 * 3600;

describe('sweepOrphanBodies', () => {
  const rows: readonly {
    name: string;
    idleSeconds: number;
    hasJob: boolean;
    deleted: boolean;
  }[] = [
    {
      name: 'old body without a job: an orphan',
      idleSeconds: 7 * 3600,
      hasJob: false,
      deleted: true,
    },
    {
      name: 'idle exactly as long as the minimum',
      idleSeconds: 6 * 3600,
      hasJob: false,
      deleted: true,
    },
    {
      name: 'old body with a job (a long retry): kept',
      idleSeconds: 7 * 3600,
      hasJob: true,
      deleted: false,
    },
    {
      name: 'recent body without a job yet (being queued): kept',
      idleSeconds: 60,
      hasJob: false,
      deleted: false,
    },
  ];
  for (const row of rows) {
    it(row.name, async () => {
      let now = 0;
      const store = createMemoryMessageStore({ now: () => now });
      await store.openWriter('message-1').finish();
      now += row.idleSeconds * 1000;
      const asked: string[] = [];
      const result = await sweepOrphanBodies({
        bodies: store,
        hasJob: (id) => {
          asked.push(id);
          return Promise.resolve(row.hasJob);
        },
        minIdleSeconds: MIN_IDLE_SECONDS,
      });
      assert.deepEqual(result, { scanned: 1, deleted: row.deleted ? 1 : 0 });
      assert.equal(await store.exists('message-1'), !row.deleted);
      // The queue is asked only about bodies old enough.
      assert.deepEqual(asked, row.idleSeconds >= MIN_IDLE_SECONDS ? ['message-1'] : []);
    });
  }

  it('goes through every batch', async () => {
    let now = 0;
    const store = createMemoryMessageStore({ now: () => now });
    for (let i = 0; i < 1200; i++) await store.openWriter(`message-${String(i)}`).finish();
    now += MIN_IDLE_SECONDS * 1000;
    const result = await sweepOrphanBodies({
      bodies: store,
      hasJob: (id) => Promise.resolve(id.endsWith('0')),
      minIdleSeconds: MIN_IDLE_SECONDS,
    });
    assert.deepEqual(result, { scanned: 1200, deleted: 1080 });
  });

  it('skips a body deleted while the sweep runs (delivered meanwhile)', async () => {
    let now = 0;
    const store = createMemoryMessageStore({ now: () => now });
    await store.openWriter('delivered').finish();
    now += MIN_IDLE_SECONDS * 1000;
    const gone = {
      ...store,
      idleSeconds: async (id: string) => {
        await store.delete(id);
        return store.idleSeconds(id);
      },
    };
    const result = await sweepOrphanBodies({
      bodies: gone,
      hasJob: () => Promise.reject(new Error('not asked')),
      minIdleSeconds: MIN_IDLE_SECONDS,
    });
    assert.deepEqual(result, { scanned: 1, deleted: 0 });
  });
});
