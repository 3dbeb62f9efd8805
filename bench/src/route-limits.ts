// The shared route limiter measured against a real Redis (docs/adr/012-shared-rate-limiter.md):
// what one message costs Redis (round trips, commands, CPU, memory) with our
// Lua sliding log, beside a GCRA script, a fixed-window counter like BullMQ's
// limiter and a bare round trip; then how many messages the smart host could
// see in one window with our limiter and with BullMQ's own Worker limiter,
// two "replicas" each.
//
//   node bench/src/route-limits.ts --redis-url redis://127.0.0.1:6379 --messages 20000
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createRedisRouteLimits, type RouteLimits } from '@smtp-relay/smart-host';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';

const { values } = parseArgs({
  options: {
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
    messages: { type: 'string', default: '20000' },
    /** connections ("replicas") and attempts in flight on each */
    replicas: { type: 'string', default: '4' },
    concurrency: { type: 'string', default: '16' },
  },
});
const url = values['redis-url'];
const messages = Number(values.messages);
const replicas = Number(values.replicas);
const concurrency = Number(values.concurrency);
const prefix = `bench-route-limits-${randomBytes(4).toString('hex')}`;
if (!(replicas >= 2)) throw new Error('--replicas must be at least 2');
const connections = Array.from({ length: replicas }, () => new Redis(url));
const admin = new Redis(url);

// The two cheap alternatives, as scripts of the same shape (one call per message).
const GCRA = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local tat = math.max(tonumber(redis.call('GET', KEYS[1])) or now, now)
if tat - now > interval * (burst - 1) then return tat - now - interval * (burst - 1) end
redis.call('SET', KEYS[1], tat + interval, 'PX', math.ceil(tat + interval - now))
return 0`;
// What BullMQ's moveToActive does with its limiter key (prepareJobForProcessing.lua).
const FIXED_WINDOW = `local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if count > tonumber(ARGV[1]) then return redis.call('PTTL', KEYS[1]) end
return 0`;

interface RedisCost {
  readonly perSecond: number;
  readonly roundTrips: number;
  readonly commands: number;
  readonly cpuMicros: number;
}

async function redisCounters(): Promise<{ calls: number; cpu: number }> {
  const stats = await admin.info('commandstats');
  const calls = [...stats.matchAll(/calls=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
  const cpu = await admin.info('cpu');
  const seconds = (name: string): number =>
    Number(new RegExp(`${name}:([\\d.]+)`).exec(cpu)?.[1] ?? 0);
  return { calls, cpu: seconds('used_cpu_user') + seconds('used_cpu_sys') };
}

/** Runs `perMessage` for `messages` messages, `concurrency` at a time on each connection. */
async function measure(
  roundTrips: number,
  perMessage: (redis: Redis, index: number) => Promise<void>,
): Promise<RedisCost> {
  let next = 0;
  const before = await redisCounters();
  const started = process.hrtime.bigint();
  await Promise.all(
    connections.flatMap((redis) =>
      Array.from({ length: concurrency }, async () => {
        for (let index = next++; index < messages; index = next++) await perMessage(redis, index);
      }),
    ),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const after = await redisCounters();
  return {
    perSecond: messages / seconds,
    roundTrips,
    // less the two INFO calls of the second reading
    commands: (after.calls - before.calls - 2) / messages,
    cpuMicros: ((after.cpu - before.cpu) * 1e6) / messages,
  };
}

async function slidingLog(route: string, withWindows: boolean): Promise<RedisCost> {
  const routeLimits = new Map<Redis, RouteLimits>();
  for (const redis of connections) {
    routeLimits.set(
      redis,
      createRedisRouteLimits({
        redis,
        prefix,
        route,
        // Far above what the run reaches: every message is logged, none waits.
        rate: withWindows ? { count: 1e9, perMs: 60_000 } : undefined,
        recipientRate: withWindows ? { count: 1e9, perMs: 86_400_000 } : undefined,
      }),
    );
  }
  return measure(2, async (redis, index) => {
    const limits = routeLimits.get(redis);
    if (limits === undefined) throw new Error('no limits for this connection');
    const admission = await limits.admit(`job-${String(index)}`, 2);
    if (admission.kind !== 'go') throw new Error(`unexpected wait: ${admission.reason}`);
    await admission.lease.end('ok');
  });
}

const rows: [string, RedisCost][] = [];
rows.push([
  'round trip floor (2 x PING)',
  await measure(2, async (r) => {
    await r.ping();
    await r.ping();
  }),
]);
rows.push([
  'fixed window (BullMQ-like)',
  await measure(1, (r) =>
    r.eval(FIXED_WINDOW, 1, `${prefix}:fw`, 1e9, 60_000).then(() => undefined),
  ),
]);
rows.push([
  'GCRA',
  await measure(1, (r) => r.eval(GCRA, 1, `${prefix}:gcra`, 0.001, 1e9).then(() => undefined)),
]);
rows.push(['route limits, leases only', await slidingLog('leases-only', false)]);
rows.push(['route limits, both windows', await slidingLog('windows', true)]);
const logged = await admin.memory('USAGE', `${prefix}:route-limits:windows:messages`);
const recipientsLogged = await admin.memory('USAGE', `${prefix}:route-limits:windows:recipients`);

console.log(
  `route limits bench: ${String(messages)} messages, ${String(replicas)} connections x ${String(concurrency)} in flight, ${url}, node ${process.version}`,
);
console.log('variant                        msg/s   round trips  commands/msg  Redis CPU us/msg');
for (const [name, cost] of rows) {
  console.log(
    `${name.padEnd(30)} ${cost.perSecond.toFixed(0).padStart(6)}  ${String(cost.roundTrips).padStart(11)}  ${cost.commands.toFixed(1).padStart(12)}  ${cost.cpuMicros.toFixed(1).padStart(16)}`,
  );
}
console.log(
  `memory: ${((logged ?? 0) / messages).toFixed(0)} B per attempt in the rate window, ${((recipientsLogged ?? 0) / messages).toFixed(0)} B in the recipient window`,
);

// Accuracy: 2 replicas, 60 messages at 20 per second, each attempt 5-50 ms at the smart host.
const rate = { count: 20, perMs: 1000 };
const total = 60;
interface Attempt {
  readonly admittedAt: number;
  readonly endedAt: number;
}
/** The most attempts that could reach the smart host in one window (see route-limits.int.test.ts). */
function mostInAnyWindow(attempts: readonly Attempt[]): number {
  return Math.max(
    ...attempts.map(
      (latest) =>
        attempts.filter(
          (o) => o.admittedAt <= latest.admittedAt && o.endedAt > latest.admittedAt - rate.perMs,
        ).length,
    ),
  );
}
/** The same when each attempt reached the smart host as it began. */
function mostStartsInAnyWindow(attempts: readonly Attempt[]): number {
  return Math.max(
    ...attempts.map(
      (first) =>
        attempts.filter(
          (o) => o.admittedAt >= first.admittedAt && o.admittedAt < first.admittedAt + rate.perMs,
        ).length,
    ),
  );
}
const sendTime = (index: number): number => 5 + ((index * 37) % 46);

async function ourAccuracy(): Promise<{ attempts: Attempt[]; admits: number; seconds: number }> {
  const pair = connections
    .slice(0, 2)
    .map((redis) =>
      createRedisRouteLimits({ redis, prefix, route: 'accuracy', rate, recipientRate: undefined }),
    );
  const attempts: Attempt[] = [];
  let admits = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: total }, async (_, index) => {
      for (;;) {
        admits++;
        const limits = pair[index % 2];
        if (limits === undefined) throw new Error('no replica');
        const admission = await limits.admit(`job-${String(index)}`, 1);
        if (admission.kind === 'wait') {
          await delay(admission.ms);
          continue;
        }
        const admittedAt = Date.now();
        await delay(sendTime(index));
        attempts.push({ admittedAt, endedAt: Date.now() });
        await admission.lease.end('ok');
        return;
      }
    }),
  );
  return { attempts, admits, seconds: (Date.now() - started) / 1000 };
}

async function bullmqAccuracy(): Promise<{ attempts: Attempt[]; seconds: number }> {
  const connection = { url, maxRetriesPerRequest: null };
  const queue = new Queue('accuracy', { connection, prefix });
  const attempts: Attempt[] = [];
  const started = Date.now();
  const workers = [0, 1].map(
    () =>
      new Worker<{ index: number }>(
        'accuracy',
        async (job) => {
          const admittedAt = Date.now();
          await delay(sendTime(job.data.index));
          attempts.push({ admittedAt, endedAt: Date.now() });
        },
        { connection, prefix, concurrency: 10, limiter: { max: rate.count, duration: rate.perMs } },
      ),
  );
  await queue.addBulk(
    Array.from({ length: total }, (_, index) => ({ name: 'm', data: { index } })),
  );
  while (attempts.length < total) await delay(20);
  const seconds = (Date.now() - started) / 1000;
  await Promise.all(workers.map((worker) => worker.close()));
  await queue.obliterate({ force: true });
  await queue.close();
  return { attempts, seconds };
}

const ours = await ourAccuracy();
const bull = await bullmqAccuracy();
console.log(
  `accuracy, ${String(total)} messages from 2 replicas at ${String(rate.count)}/${String(rate.perMs)}ms, attempts 5-50 ms:`,
);
console.log(
  `  route limits:        at most ${String(mostInAnyWindow(ours.attempts))} in one window (${String(mostStartsInAnyWindow(ours.attempts))} counting starts), ${(total / ours.seconds).toFixed(1)} msg/s, ${(ours.admits / total).toFixed(2)} admits per message`,
);
console.log(
  `  BullMQ Worker limiter: at most ${String(mostInAnyWindow(bull.attempts))} in one window (${String(mostStartsInAnyWindow(bull.attempts))} counting starts), ${(total / bull.seconds).toFixed(1)} msg/s`,
);

const leftover = await admin.keys(`${prefix}:*`);
if (leftover.length > 0) await admin.del(...leftover);
for (const redis of [...connections, admin]) redis.disconnect();
