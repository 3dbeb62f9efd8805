import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitFor } from '../src/wait-for.ts';

describe('waitFor', () => {
  it('resolves with the first truthy probe result', async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls >= 3 ? { calls } : undefined), { intervalMs: 1 });
    assert.deepEqual(value, { calls: 3 });
  });

  it('treats a throwing probe as not yet and reports it as the cause', async () => {
    const error = await waitFor(
      () => {
        throw new Error('connection refused');
      },
      { timeoutMs: 50, intervalMs: 5, description: 'the server' },
    ).catch((e: unknown) => e);
    assert.ok(error instanceof Error);
    assert.match(error.message, /Timed out after 50 ms waiting for the server/);
    assert.ok(error.cause instanceof Error);
    assert.equal(error.cause.message, 'connection refused');
  });

  it('awaits async probes', async () => {
    const value = await waitFor(() => Promise.resolve('ready'));
    assert.equal(value, 'ready');
  });
});
