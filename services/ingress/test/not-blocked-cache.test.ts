import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createNotBlockedCache } from '../src/abuse/not-blocked-cache.ts';

type Step =
  | { readonly at: number; readonly remember: string; readonly ticketAt?: 'before-forget' }
  | { readonly at: number; readonly forget: string }
  | { readonly at: number; readonly has: string; readonly expect: boolean };

const CASES: readonly { readonly name: string; readonly steps: readonly Step[] }[] = [
  {
    name: 'an answer is reused until its time is up',
    steps: [
      { at: 0, remember: '192.0.2.1' },
      { at: 999, has: '192.0.2.1', expect: true },
      { at: 1000, has: '192.0.2.1', expect: false },
    ],
  },
  {
    name: 'an address never looked up is not known',
    steps: [{ at: 0, has: '192.0.2.2', expect: false }],
  },
  {
    name: 'forget drops the address at once',
    steps: [
      { at: 0, remember: '192.0.2.1' },
      { at: 1, forget: '192.0.2.1' },
      { at: 2, has: '192.0.2.1', expect: false },
    ],
  },
  {
    name: 'a look-up that overlapped a forget is not remembered (it may predate a new block)',
    steps: [
      { at: 0, forget: '192.0.2.9' },
      { at: 1, remember: '192.0.2.1', ticketAt: 'before-forget' },
      { at: 2, has: '192.0.2.1', expect: false },
    ],
  },
  {
    name: 'when full, the oldest entry goes first',
    steps: [
      { at: 0, remember: 'a' },
      { at: 1, remember: 'b' },
      { at: 2, remember: 'c' },
      { at: 3, has: 'a', expect: false },
      { at: 3, has: 'b', expect: true },
      { at: 3, has: 'c', expect: true },
    ],
  },
];

describe('not-blocked cache', () => {
  for (const { name, steps } of CASES) {
    it(name, () => {
      let now = 0;
      const cache = createNotBlockedCache({ ttlMs: 1000, maxEntries: 2, now: () => now });
      // A ticket taken before the first step: "before-forget" answers use it.
      const early = cache.lookupStarted();
      for (const step of steps) {
        now = step.at;
        if ('remember' in step) {
          cache.remember(
            step.remember,
            step.ticketAt === 'before-forget' ? early : cache.lookupStarted(),
          );
        } else if ('forget' in step) cache.forget(step.forget);
        else assert.equal(cache.has(step.has), step.expect, `${step.has} at ${String(step.at)}`);
      }
    });
  }

  it('remembers nothing with a time of 0', () => {
    const cache = createNotBlockedCache({ ttlMs: 0, maxEntries: 2 });
    cache.remember('192.0.2.1', cache.lookupStarted());
    assert.equal(cache.has('192.0.2.1'), false);
  });
});
