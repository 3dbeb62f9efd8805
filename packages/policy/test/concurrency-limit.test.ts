import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createConcurrencyLimit } from '../src/index.ts';

interface Gate {
  readonly opened: Promise<void>;
  open(): void;
}

function createGate(): Gate {
  let open = (): void => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe('createConcurrencyLimit', () => {
  it('runs at most 2 of 8 tasks at once, the others in arrival order', async () => {
    const limit = createConcurrencyLimit(2);
    const gates = Array.from({ length: 8 }, createGate);
    const started: number[] = [];
    let running = 0;
    let mostRunning = 0;
    const results = gates.map((gate, index) =>
      limit.run(async () => {
        running++;
        mostRunning = Math.max(mostRunning, running);
        started.push(index);
        await gate.opened;
        running--;
        return index;
      }),
    );
    await Promise.resolve();
    assert.deepEqual([limit.active, limit.waiting], [2, 6]);
    // Finish them out of order: a finished task's slot goes to the oldest waiter.
    for (const index of [1, 0, 3, 2, 5, 4, 7, 6]) {
      gates[index]?.open();
      await new Promise((resolve) => setImmediate(resolve));
      assert.ok(limit.active <= 2);
    }
    assert.deepEqual(await Promise.all(results), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(started, [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.equal(mostRunning, 2);
    assert.deepEqual([limit.active, limit.waiting, limit.peak], [0, 0, 2]);
  });

  it('frees the slot of a task that fails', async () => {
    const limit = createConcurrencyLimit(1);
    await assert.rejects(
      limit.run(() => Promise.reject(new Error('boom'))),
      /boom/,
    );
    assert.equal(await limit.run(() => Promise.resolve('next')), 'next');
    assert.equal(limit.active, 0);
  });

  for (const max of [0, -1, 1.5, Number.NaN]) {
    it(`refuses max = ${String(max)}`, () => {
      assert.throws(() => createConcurrencyLimit(max), RangeError);
    });
  }
});
