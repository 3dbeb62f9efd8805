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
//   <prefix>:throughput:1m:<minute start, epoch ms>    hash kind -> count, kept 26 hours
// One resolution for both charts: the last hour is the day's last 60 minutes.

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

const MINUTE_MS = 60_000;
/** A day and a little: the day chart's oldest minute is still there when it is read. */
const KEEP_MS = 26 * 3_600_000;

/** The charts: per minute over the last hour, and over the last day. */
export const THROUGHPUT_RANGES = {
  hour: { buckets: 60 },
  day: { buckets: 1440 },
} as const;
export type ThroughputRange = keyof typeof THROUGHPUT_RANGES;

const FLUSH_EVERY_MS = 5000;

const minuteKey = (prefix: string, start: number): string =>
  `${prefix}:throughput:1m:${String(start)}`;

const minuteOf = (at: number): number => at - (at % MINUTE_MS);

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
      pipeline.pexpire(key, KEEP_MS);
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
      add(minuteKey(prefix, minuteOf(now())), kind, n);
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

/** The last hour or the last day, per minute, oldest first, the current minute last. */
export async function readThroughput(
  redis: Redis,
  prefix: string,
  range: ThroughputRange,
  now: number = Date.now(),
): Promise<{ readonly bucketMs: number; readonly buckets: ThroughputBucket[] }> {
  const { buckets } = THROUGHPUT_RANGES[range];
  const last = minuteOf(now);
  const starts = Array.from(
    { length: buckets },
    (_, index) => last - (buckets - 1 - index) * MINUTE_MS,
  );
  const pipeline = redis.pipeline();
  for (const start of starts) pipeline.hgetall(minuteKey(prefix, start));
  const replies = (await pipeline.exec()) ?? [];
  return {
    bucketMs: MINUTE_MS,
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
