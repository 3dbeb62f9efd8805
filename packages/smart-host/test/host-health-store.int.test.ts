import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  connectTestRedis,
  uniquePrefix,
  waitFor,
  type TestRedisConnection,
} from '@smtp-relay/testkit';
import { Redis } from 'ioredis';
import {
  MAX_COOLDOWN_MS,
  createMemoryHostHealthStore,
  type HostHealthStore,
} from '../src/failover/host-health-store.ts';
import {
  createRedisHostHealthStore,
  hostHealthKeys,
} from '../src/failover/redis-host-health-store.ts';

// One contract, two implementations: the Redis store every sender replica shares
// and the memory one. "The cool-down runs out" is the test's to cause: for Redis
// the key is left 1 ms to live, for memory the clock moves.

const prefix = uniquePrefix('host-health');
let redis: TestRedisConnection<Redis>;
before(async () => {
  redis = await connectTestRedis(prefix, (url) => new Redis(url));
});
after(async () => {
  await redis.close();
});

interface Implementation {
  readonly store: HostHealthStore;
  /** Lets the host's current cool-down run out. */
  readonly endCooldown: (route: string, hostKey: string) => Promise<void>;
}

let routes = 0;
const IMPLEMENTATIONS: readonly (readonly [string, () => Implementation])[] = [
  [
    'redis',
    () => {
      const store = createRedisHostHealthStore(redis.connection, prefix);
      return {
        store,
        endCooldown: async (route, hostKey) => {
          await redis.connection.pexpire(hostHealthKeys(prefix, route, hostKey).cooldown, 1);
          await waitFor(
            async () => (await store.read(route, [hostKey])).get(hostKey)?.coolingDownMs === 0,
            { description: 'cool-down over', intervalMs: 5 },
          );
        },
      };
    },
  ],
  [
    'memory',
    () => {
      const clock = { ms: 0 };
      const store = createMemoryHostHealthStore(() => clock.ms);
      return {
        store,
        endCooldown: async (route, hostKey) => {
          clock.ms += (await store.read(route, [hostKey])).get(hostKey)?.coolingDownMs ?? 0;
        },
      };
    },
  ],
];

for (const [name, create] of IMPLEMENTATIONS) {
  describe(`host health store contract: ${name}`, () => {
    // Each test its own route: the Redis keys of one never meet another's.
    const route = () => `route-${++routes}`;

    it('reads every host asked for; a host never seen is healthy', async () => {
      const { store } = create();
      const health = await store.read(route(), ['a.example:587', '[::1]:2525']);
      assert.deepEqual(
        [...health],
        [
          ['a.example:587', { coolingDownMs: 0, failures: 0 }],
          ['[::1]:2525', { coolingDownMs: 0, failures: 0 }],
        ],
      );
    });

    it('a failure starts a cool-down of SMART_HOST_COOLDOWN, for that host and route only', async () => {
      const { store } = create();
      const r = route();
      assert.deepEqual(await store.recordFailure(r, 'a:25', 30_000), {
        started: true,
        failures: 1,
        cooldownMs: 30_000,
      });
      const health = await store.read(r, ['a:25', 'b:25']);
      const a = health.get('a:25');
      assert.ok(a && a.coolingDownMs > 0 && a.coolingDownMs <= 30_000, JSON.stringify(a));
      assert.equal(a.failures, 1);
      assert.deepEqual(health.get('b:25'), { coolingDownMs: 0, failures: 0 });
      assert.deepEqual((await store.read(route(), ['a:25'])).get('a:25'), {
        coolingDownMs: 0,
        failures: 0,
      });
    });

    it('failures during a cool-down count once (attempts begun before it)', async () => {
      const { store } = create();
      const r = route();
      await store.recordFailure(r, 'a:25', 30_000);
      const again = await store.recordFailure(r, 'a:25', 30_000);
      assert.equal(again.started, false);
      assert.equal(again.failures, 1);
      assert.ok(again.cooldownMs > 0 && again.cooldownMs <= 30_000);
    });

    it('doubles while the host keeps failing, up to 10 min', async () => {
      const { store, endCooldown } = create();
      const r = route();
      const seen: number[] = [];
      for (let i = 0; i < 3; i++) {
        seen.push((await store.recordFailure(r, 'a:25', 200_000)).cooldownMs);
        await endCooldown(r, 'a:25');
      }
      assert.deepEqual(seen, [200_000, 400_000, MAX_COOLDOWN_MS]);
      assert.equal((await store.read(r, ['a:25'])).get('a:25')?.failures, 3);
    });

    it('a success clears the failures and says whether there were any', async () => {
      const { store, endCooldown } = create();
      const r = route();
      assert.equal(await store.recordSuccess(r, 'a:25'), false);
      await store.recordFailure(r, 'a:25', 1000);
      await endCooldown(r, 'a:25');
      assert.equal(await store.recordSuccess(r, 'a:25'), true);
      assert.deepEqual((await store.read(r, ['a:25'])).get('a:25'), {
        coolingDownMs: 0,
        failures: 0,
      });
      assert.equal((await store.recordFailure(r, 'a:25', 1000)).cooldownMs, 1000);
    });
  });
}

describe('host health in Redis', () => {
  it('keeps the failure count 10 min longer than the cool-down, the cool-down exactly as long', async () => {
    const store = createRedisHostHealthStore(redis.connection, prefix);
    await store.recordFailure('ttl', 'a:25', 30_000);
    const keys = hostHealthKeys(prefix, 'ttl', 'a:25');
    const cooldown = await redis.connection.pttl(keys.cooldown);
    const failures = await redis.connection.pttl(keys.failures);
    assert.ok(cooldown > 0 && cooldown <= 30_000, String(cooldown));
    assert.ok(failures > MAX_COOLDOWN_MS && failures <= 30_000 + MAX_COOLDOWN_MS, String(failures));
  });

  it('names its keys <prefix>:smart-host:<route>:<host:port>:<part>', () => {
    assert.deepEqual(hostHealthKeys('relay', 'sales', '[::1]:2525'), {
      cooldown: 'relay:smart-host:sales:[::1]:2525:cooldown',
      failures: 'relay:smart-host:sales:[::1]:2525:failures',
    });
  });
});
