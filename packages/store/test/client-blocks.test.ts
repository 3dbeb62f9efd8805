import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  canonicalClientAddress,
  clientBlockKeys,
  createMemoryClientBlocks,
  type AuthFailureLimits,
  type BlockReason,
} from '../src/index.ts';

// The in-memory ClientBlocks (the fake ingress unit tests use, and its fallback
// while Redis is down) follows the same rules as the Redis store, step by step.

const LIMITS: AuthFailureLimits = { maxFailures: 3, windowMs: 1000, blockMs: 5000 };

type Step =
  | { fail: string; failures: number; blockedUntil?: number; created?: boolean }
  | { block: string; ms: number; reason: BlockReason; until: number; created: boolean }
  | { advance: number }
  | { blocked: string; until: number | undefined; reason?: BlockReason }
  | { lift: string; lifted: boolean }
  | { list: readonly string[] }
  | { tracked: { blocks: number; failures: number } }
  | { clear: true };

const SCENARIOS: readonly { name: string; maxAddresses?: number; steps: readonly Step[] }[] = [
  {
    name: 'blocks on the limit-th failure within the window, for blockMs',
    steps: [
      { fail: '192.0.2.1', failures: 1 },
      { fail: '192.0.2.1', failures: 2 },
      { blocked: '192.0.2.1', until: undefined },
      { fail: '192.0.2.1', failures: 3, blockedUntil: 5000, created: true },
      { blocked: '192.0.2.1', until: 5000, reason: 'auth' },
      { advance: 4999 },
      { blocked: '192.0.2.1', until: 5000 },
      { advance: 1 },
      { blocked: '192.0.2.1', until: undefined },
      { list: [] },
    ],
  },
  {
    name: 'forgets failures older than the window (sliding)',
    steps: [
      { fail: '192.0.2.2', failures: 1 },
      { advance: 600 },
      { fail: '192.0.2.2', failures: 2 },
      { advance: 500 },
      { fail: '192.0.2.2', failures: 2 },
      { advance: 1000 },
      { fail: '192.0.2.2', failures: 1 },
    ],
  },
  {
    name: 'counts each address on its own, in every spelling of it',
    steps: [
      { fail: '192.0.2.3', failures: 1 },
      { fail: '::ffff:192.0.2.3', failures: 2 },
      { fail: '192.0.2.4', failures: 1 },
      { fail: '2001:DB8:0::7', failures: 1 },
      { fail: '[2001:db8::7]', failures: 2 },
    ],
  },
  {
    name: 'starts counting again after a block',
    steps: [
      { fail: '192.0.2.5', failures: 1 },
      { fail: '192.0.2.5', failures: 2 },
      { fail: '192.0.2.5', failures: 3, blockedUntil: 5000, created: true },
      { advance: 5000 },
      { fail: '192.0.2.5', failures: 1 },
    ],
  },
  {
    name: 'keeps a longer block, replaces a shorter one',
    steps: [
      { block: '192.0.2.6', ms: 10_000, reason: 'filter', until: 10_000, created: true },
      { block: '192.0.2.6', ms: 2000, reason: 'auth', until: 10_000, created: false },
      { blocked: '192.0.2.6', until: 10_000, reason: 'filter' },
      { advance: 9000 },
      { block: '192.0.2.6', ms: 2000, reason: 'auth', until: 11_000, created: true },
      { blocked: '192.0.2.6', until: 11_000, reason: 'auth' },
    ],
  },
  {
    // Failures of connections opened before a block neither count nor extend it.
    name: 'answers an auth failure of a blocked address with its block, uncounted',
    steps: [
      { block: '192.0.2.7', ms: 60_000, reason: 'filter', until: 60_000, created: true },
      { fail: '192.0.2.7', failures: 3, blockedUntil: 60_000, created: false },
      { fail: '192.0.2.7', failures: 3, blockedUntil: 60_000, created: false },
      { advance: 60_000 },
      { fail: '192.0.2.7', failures: 1 },
    ],
  },
  {
    name: 'lists blocks soonest end first; lift ends a block and its failures',
    steps: [
      { block: '192.0.2.9', ms: 3000, reason: 'filter', until: 3000, created: true },
      { block: '192.0.2.8', ms: 2000, reason: 'auth', until: 2000, created: true },
      { list: ['192.0.2.8', '192.0.2.9'] },
      { lift: '::ffff:192.0.2.8', lifted: true },
      { lift: '192.0.2.8', lifted: false },
      { list: ['192.0.2.9'] },
      { fail: '192.0.2.10', failures: 1 },
      { fail: '192.0.2.10', failures: 2 },
      { lift: '192.0.2.10', lifted: false },
      { fail: '192.0.2.10', failures: 1 },
    ],
  },
  // Ingress keeps this store for as long as Redis is away: it must stay bounded.
  {
    name: 'prunes failure counters whose window has passed, on the next write',
    steps: [
      { fail: '192.0.2.20', failures: 1 },
      { advance: 400 },
      { fail: '192.0.2.21', failures: 1 },
      { tracked: { blocks: 0, failures: 2 } },
      { advance: 600 },
      { fail: '192.0.2.22', failures: 1 },
      { tracked: { blocks: 0, failures: 2 } },
      { advance: 400 },
      { fail: '192.0.2.22', failures: 2 },
      { tracked: { blocks: 0, failures: 1 } },
    ],
  },
  {
    name: 'prunes ended blocks once a minute, or at once when the cap is reached',
    maxAddresses: 3,
    steps: [
      { block: '192.0.2.30', ms: 1000, reason: 'filter', until: 1000, created: true },
      { block: '192.0.2.31', ms: 1000, reason: 'filter', until: 1000, created: true },
      { advance: 1000 },
      { block: '192.0.2.32', ms: 1000, reason: 'filter', until: 2000, created: true },
      { tracked: { blocks: 3, failures: 0 } },
      { block: '192.0.2.33', ms: 1000, reason: 'filter', until: 2000, created: true },
      { tracked: { blocks: 2, failures: 0 } },
      { advance: 60_000 },
      { fail: '192.0.2.34', failures: 1 },
      { tracked: { blocks: 0, failures: 1 } },
    ],
  },
  {
    name: 'counts failures of at most maxAddresses addresses: the least recent one goes first',
    maxAddresses: 2,
    steps: [
      { fail: '192.0.2.40', failures: 1 },
      { fail: '192.0.2.41', failures: 1 },
      { fail: '192.0.2.40', failures: 2 },
      { fail: '192.0.2.42', failures: 1 },
      { tracked: { blocks: 0, failures: 2 } },
      { fail: '192.0.2.40', failures: 3, blockedUntil: 5000, created: true },
      { tracked: { blocks: 1, failures: 1 } },
      { fail: '192.0.2.41', failures: 1 },
    ],
  },
  {
    name: 'holds at most maxAddresses blocks: the one ending soonest goes first',
    maxAddresses: 2,
    steps: [
      { block: '192.0.2.50', ms: 5000, reason: 'auth', until: 5000, created: true },
      { block: '192.0.2.51', ms: 3000, reason: 'filter', until: 3000, created: true },
      { block: '192.0.2.52', ms: 4000, reason: 'filter', until: 4000, created: true },
      { blocked: '192.0.2.51', until: undefined },
      { list: ['192.0.2.52', '192.0.2.50'] },
      { block: '192.0.2.50', ms: 6000, reason: 'auth', until: 6000, created: true },
      { list: ['192.0.2.52', '192.0.2.50'] },
    ],
  },
  {
    name: 'clear forgets every block and failure',
    steps: [
      { block: '192.0.2.60', ms: 1000, reason: 'filter', until: 1000, created: true },
      { fail: '192.0.2.61', failures: 1 },
      { clear: true },
      { tracked: { blocks: 0, failures: 0 } },
      { blocked: '192.0.2.60', until: undefined },
      { fail: '192.0.2.61', failures: 1 },
    ],
  },
];

describe('in-memory client blocks', () => {
  for (const scenario of SCENARIOS) {
    it(scenario.name, async () => {
      let clock = 0;
      const blocks = createMemoryClientBlocks({
        limits: LIMITS,
        now: () => clock,
        ...(scenario.maxAddresses === undefined ? {} : { maxAddresses: scenario.maxAddresses }),
      });
      for (const [index, step] of scenario.steps.entries()) {
        const at = `step ${String(index + 1)}`;
        if ('fail' in step) {
          const outcome = await blocks.recordAuthFailure(step.fail);
          assert.equal(outcome.failures, step.failures, at);
          assert.equal(outcome.blocked?.block.until, step.blockedUntil, at);
          assert.equal(outcome.blocked?.created, step.created, at);
        } else if ('block' in step) {
          const outcome = await blocks.block(step.block, step.ms, step.reason);
          assert.equal(outcome.block.until, step.until, at);
          assert.equal(outcome.created, step.created, at);
        } else if ('advance' in step) {
          clock += step.advance;
        } else if ('blocked' in step) {
          const block = await blocks.isBlocked(step.blocked);
          assert.equal(block?.until, step.until, at);
          if (step.reason) assert.equal(block?.reason, step.reason, at);
        } else if ('lift' in step) {
          assert.equal(await blocks.lift(step.lift), step.lifted, at);
        } else if ('tracked' in step) {
          assert.deepEqual(blocks.tracked(), step.tracked, at);
        } else if ('clear' in step) {
          blocks.clear();
        } else {
          assert.deepEqual(
            (await blocks.list()).map((block) => block.address),
            step.list,
            at,
          );
        }
      }
    });
  }

  it('rejects what is not an IP address', async () => {
    const blocks = createMemoryClientBlocks({ limits: LIMITS });
    await assert.rejects(() => blocks.isBlocked('example.com'), TypeError);
    await assert.rejects(() => blocks.recordAuthFailure(''), TypeError);
  });
});

describe('canonicalClientAddress', () => {
  const cases: readonly [string, string | undefined][] = [
    ['192.0.2.1', '192.0.2.1'],
    [' 192.0.2.1 ', '192.0.2.1'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['::FFFF:192.0.2.1', '192.0.2.1'],
    // IPv4-compatible (deprecated) is an IPv6 address of its own, not 10.1.2.3.
    ['::10.1.2.3', '::a01:203'],
    ['2001:DB8:0:0:0:0:0:7', '2001:db8::7'],
    ['[2001:db8::7]', '2001:db8::7'],
    ['fe80::1%eth0', 'fe80::1'],
    ['::1', '::1'],
    ['example.com', undefined],
    ['192.0.2.256', undefined],
    ['', undefined],
    ['1.2.3.4/24', undefined],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} -> ${String(expected)}`, () => {
      assert.equal(canonicalClientAddress(input), expected);
    });
  }
});

describe('clientBlockKeys', () => {
  it('puts every key under <prefix>:blocks:', () => {
    const keys = clientBlockKeys('relay');
    assert.equal(keys.block('2001:db8::7'), 'relay:blocks:block:2001:db8::7');
    assert.equal(keys.failures('192.0.2.1'), 'relay:blocks:failures:192.0.2.1');
    assert.equal(keys.index, 'relay:blocks:index');
  });
});
