import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryClientBlocks, type ClientBlocks } from '@smtp-relay/store';
import { createClientBlocking } from '../src/abuse/client-blocking.ts';

const LIMITS = { maxFailures: 3, windowMs: 60_000, blockMs: 60_000 };

function recorder() {
  const lines: { level: string; obj: Record<string, unknown> }[] = [];
  const at =
    (level: string) =>
    (obj: object): void => {
      lines.push({ level, obj: obj as Record<string, unknown> });
    };
  return { lines, log: { info: at('info'), warn: at('warn'), error: at('error') } };
}

function counter() {
  const counts = new Map<string, number>();
  return {
    counts,
    metrics: {
      clientBlocks: {
        inc: ({ reason }: { reason: string }) => counts.set(reason, (counts.get(reason) ?? 0) + 1),
      },
    },
  };
}

/** A store whose every call fails while `down` is true, like Redis away. */
function switchable(store: ClientBlocks) {
  const state = { down: false };
  const guard =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> =>
      state.down ? Promise.reject(new Error('Connection is closed.')) : call(...args);
  const blocks: ClientBlocks = {
    isBlocked: guard((address: string) => store.isBlocked(address)),
    list: guard(() => store.list()),
    lift: guard((address: string) => store.lift(address)),
    recordAuthFailure: guard((address: string) => store.recordAuthFailure(address)),
    block: guard((address: string, ms: number, reason: 'auth' | 'filter') =>
      store.block(address, ms, reason),
    ),
  };
  return { state, blocks };
}

describe('client blocking', () => {
  it('blocks on the limit-th failure, counts the metric and logs smtp.client.blocked once', async () => {
    const shared = createMemoryClientBlocks({ limits: LIMITS });
    const process = recorder();
    const session = recorder();
    const { counts, metrics } = counter();
    const blocking = createClientBlocking({
      blocks: shared,
      limits: LIMITS,
      logger: process.log,
      metrics,
    });
    assert.equal(await blocking.authFailed('192.0.2.1', session.log), undefined);
    assert.equal(await blocking.authFailed('192.0.2.1', session.log), undefined);
    assert.equal(await blocking.check('192.0.2.1'), undefined);
    assert.equal((await blocking.authFailed('192.0.2.1', session.log))?.reason, 'auth');
    assert.equal((await blocking.check('::ffff:192.0.2.1'))?.reason, 'auth');
    assert.deepEqual([...counts], [['auth', 1]]);
    const blocked = session.lines.filter((line) => line.obj['event'] === 'smtp.client.blocked');
    assert.equal(blocked.length, 1);
    assert.equal(blocked[0]?.obj['failures'], 3);
    assert.equal(blocked[0].obj['reason'], 'auth');
    await blocking.blockForFilter('192.0.2.1', 1000, 7, session.log);
    assert.equal(counts.get('filter'), undefined, 'a shorter filter block changes nothing');
    await blocking.blockForFilter('192.0.2.2', 1000, 7, session.log);
    assert.equal(counts.get('filter'), 1);
    assert.equal(session.lines.at(-1)?.obj['rule'], 7);
    assert.deepEqual(process.lines, []);
  });

  it('fails open to this process while the shared store is down, logging once each way', async () => {
    const { state, blocks } = switchable(createMemoryClientBlocks({ limits: LIMITS }));
    const process = recorder();
    const session = recorder();
    const blocking = createClientBlocking({
      blocks,
      limits: LIMITS,
      logger: process.log,
      metrics: counter().metrics,
    });
    state.down = true;
    assert.equal(await blocking.check('192.0.2.9'), undefined, 'connections are not refused');
    for (let n = 1; n < LIMITS.maxFailures; n++) {
      assert.equal(await blocking.authFailed('192.0.2.9', session.log), undefined);
    }
    assert.equal(
      (await blocking.authFailed('192.0.2.9', session.log))?.address,
      '192.0.2.9',
      'counted locally',
    );
    assert.equal((await blocking.check('192.0.2.9'))?.reason, 'auth', 'blocked locally');
    assert.deepEqual(
      process.lines.map((line) => [line.level, line.obj['event']]),
      [['error', 'smtp.client.blocks-unavailable']],
    );
    state.down = false;
    assert.equal(await blocking.check('192.0.2.9'), undefined, 'Redis decides again once back');
    assert.deepEqual(
      process.lines.map((line) => line.obj['event']),
      ['smtp.client.blocks-unavailable', 'smtp.client.blocks-restored'],
    );
    state.down = true;
    assert.equal(
      await blocking.check('192.0.2.9'),
      undefined,
      'the local block was dropped when Redis answered, not kept for the next outage',
    );
    assert.equal(
      await blocking.authFailed('192.0.2.9', session.log),
      undefined,
      'and so were the local failure counts',
    );
  });

  it('treats a store that does not answer in time as down', async () => {
    const hung: ClientBlocks = {
      ...createMemoryClientBlocks({ limits: LIMITS }),
      isBlocked: () => new Promise(() => undefined),
    };
    const process = recorder();
    const blocking = createClientBlocking({
      blocks: hung,
      limits: LIMITS,
      logger: process.log,
      metrics: counter().metrics,
      timeoutMs: 20,
    });
    assert.equal(await blocking.check('192.0.2.10'), undefined);
    assert.equal(process.lines[0]?.obj['event'], 'smtp.client.blocks-unavailable');
  });

  it('checkOnConnect reuses a "not blocked" answer for a second; check and AUTH failures always ask', async () => {
    let now = 0;
    const store = createMemoryClientBlocks({ limits: LIMITS, now: () => now });
    let lookups = 0;
    const blocks: ClientBlocks = {
      ...store,
      isBlocked: (address) => {
        lookups++;
        return store.isBlocked(address);
      },
    };
    const session = recorder();
    const blocking = createClientBlocking({
      blocks,
      limits: LIMITS,
      logger: recorder().log,
      metrics: counter().metrics,
      now: () => now,
    });
    assert.equal(await blocking.checkOnConnect('192.0.2.20'), undefined);
    assert.equal(await blocking.checkOnConnect('192.0.2.20'), undefined);
    assert.equal(lookups, 1, 'the second connection within a second costs no look-up');
    assert.equal(await blocking.check('192.0.2.20'), undefined);
    assert.equal(lookups, 2, 'check (AUTH) always asks');
    now = 1000;
    await blocking.checkOnConnect('192.0.2.20');
    assert.equal(lookups, 3, 'asked again once the second is over');

    // Another replica blocks the address: seen here within the second.
    await store.block('192.0.2.20', 60_000, 'filter');
    assert.equal(await blocking.checkOnConnect('192.0.2.20'), undefined, 'still the cached answer');
    now = 2000;
    assert.equal((await blocking.checkOnConnect('192.0.2.20'))?.reason, 'filter');
    assert.equal((await blocking.checkOnConnect('192.0.2.20'))?.reason, 'filter');
    assert.equal(lookups, 5, 'a block is never cached');

    // A block made by this process is seen at the next connection.
    assert.equal(await blocking.checkOnConnect('192.0.2.21'), undefined);
    for (let n = 0; n < LIMITS.maxFailures; n++)
      await blocking.authFailed('192.0.2.21', session.log);
    assert.equal((await blocking.checkOnConnect('192.0.2.21'))?.reason, 'auth');
  });

  it("checkOnConnect does not reuse the fallback's answer while the shared store is down", async () => {
    const { state, blocks } = switchable(createMemoryClientBlocks({ limits: LIMITS }));
    const blocking = createClientBlocking({
      blocks,
      limits: LIMITS,
      logger: recorder().log,
      metrics: counter().metrics,
    });
    state.down = true;
    assert.equal(await blocking.checkOnConnect('192.0.2.30'), undefined);
    state.down = false;
    await blocks.block('192.0.2.30', 60_000, 'filter');
    assert.equal((await blocking.checkOnConnect('192.0.2.30'))?.reason, 'filter');
  });
});
