import type { Redis } from 'ioredis';

// Messages received, delivered, deferred and bounced per minute, kept in Redis
// so that the dashboard of any process shows every replica's work (docs/reference.md
// "Admin HTTP"). The same events as the Prometheus counters
// smtp_relay_messages_{received,delivered,deferred,bounced}_total. Each process
// adds up its counts in memory and writes them every few seconds in one
// pipeline: a message costs no Redis command of its own, and a crash loses at
// most those seconds of the chart, never mail.
//
// Keys (under QUEUE_PREFIX, built here only):
//   <prefix>:throughput:1m:<minute start, epoch ms>    hash kind -> count, kept 2 hours
//   <prefix>:throughput:10m:<10-minute start>          hash kind -> count, kept 26 hours

export const THROUGHPUT_KINDS = ['received', 'delivered', 'deferred', 'bounced'] as const;
export type ThroughputKind = (typeof THROUGHPUT_KINDS)[number];

/** What the services count with. */
export interface ThroughputCounter {
  count(kind: ThroughputKind, n?: number): void;
}

export interface ThroughputRecorder extends ThroughputCounter {
  /** Writes what was counted; never rejects (a lost write is a dip in a chart). */
  flush(): Promise<void>;
  /** Stops the timer and writes what is left. */
  close(): Promise<void>;
}

/** The two resolutions: the last hour by minute, the last day by 10 minutes. */
export const THROUGHPUT_RANGES = {
  hour: { bucketMs: 60_000, buckets: 60, keepMs: 2 * 3_600_000, name: '1m' },
  day: { bucketMs: 600_000, buckets: 144, keepMs: 26 * 3_600_000, name: '10m' },
} as const;
export type ThroughputRange = keyof typeof THROUGHPUT_RANGES;

const FLUSH_EVERY_MS = 5000;

const bucketKey = (prefix: string, range: ThroughputRange, start: number): string =>
  `${prefix}:throughput:${THROUGHPUT_RANGES[range].name}:${String(start)}`;

const bucketStart = (range: ThroughputRange, at: number): number =>
  at - (at % THROUGHPUT_RANGES[range].bucketMs);

export function createThroughputRecorder(options: {
  readonly redis: Redis;
  readonly prefix: string;
  readonly now?: () => number;
  /** Default 5 s; 0: no timer (tests flush themselves). */
  readonly flushEveryMs?: number;
}): ThroughputRecorder {
  const { redis, prefix } = options;
  const now = options.now ?? Date.now;
  /** key -> kind -> count not yet written */
  let pending = new Map<string, Map<ThroughputKind, number>>();
  const flushEveryMs = options.flushEveryMs ?? FLUSH_EVERY_MS;
  const timer = flushEveryMs > 0 ? setInterval(() => void flush(), flushEveryMs) : undefined;
  timer?.unref();

  function add(key: string, kind: ThroughputKind, n: number): void {
    let counts = pending.get(key);
    if (counts === undefined) {
      counts = new Map();
      pending.set(key, counts);
    }
    counts.set(kind, (counts.get(kind) ?? 0) + n);
  }

  async function flush(): Promise<void> {
    if (pending.size === 0) return;
    const writing = pending;
    pending = new Map();
    const pipeline = redis.pipeline();
    for (const [key, counts] of writing) {
      for (const [kind, n] of counts) pipeline.hincrby(key, kind, n);
      const range: ThroughputRange = key.includes(':throughput:1m:') ? 'hour' : 'day';
      pipeline.pexpire(key, THROUGHPUT_RANGES[range].keepMs);
    }
    try {
      await pipeline.exec();
    } catch {
      // Redis away: these seconds are missing from the chart (see the top).
    }
  }

  return {
    count(kind, n = 1) {
      if (n <= 0) return;
      const at = now();
      add(bucketKey(prefix, 'hour', bucketStart('hour', at)), kind, n);
      add(bucketKey(prefix, 'day', bucketStart('day', at)), kind, n);
    },
    flush,
    async close() {
      if (timer) clearInterval(timer);
      await flush();
    },
  };
}

export interface ThroughputBucket {
  /** Epoch ms of the bucket's start. */
  readonly start: number;
  readonly counts: Record<ThroughputKind, number>;
}

/** The last hour by minute or the last day by 10 minutes, oldest first, the current bucket last. */
export async function readThroughput(
  redis: Redis,
  prefix: string,
  range: ThroughputRange,
  now: number = Date.now(),
): Promise<{ readonly bucketMs: number; readonly buckets: ThroughputBucket[] }> {
  const { bucketMs, buckets } = THROUGHPUT_RANGES[range];
  const last = bucketStart(range, now);
  const starts = Array.from(
    { length: buckets },
    (_, index) => last - (buckets - 1 - index) * bucketMs,
  );
  const pipeline = redis.pipeline();
  for (const start of starts) pipeline.hgetall(bucketKey(prefix, range, start));
  const replies = (await pipeline.exec()) ?? [];
  return {
    bucketMs,
    buckets: starts.map((start, index) => {
      const [error, hash] = replies[index] ?? [null, {}];
      if (error) throw error;
      const values = (hash ?? {}) as Record<string, string>;
      const counts = Object.fromEntries(
        THROUGHPUT_KINDS.map((kind) => [kind, Number(values[kind] ?? 0)]),
      ) as Record<ThroughputKind, number>;
      return { start, counts };
    }),
  };
}
