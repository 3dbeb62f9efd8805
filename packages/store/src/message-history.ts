import type { Redis } from 'ioredis';
import { luaScript } from './lua-script.ts';
import {
  historyRecordOf,
  matchesHistoryText,
  parseHistoryRecord,
  serializeHistoryRecord,
  type HistoryAttempt,
  type HistoryRecord,
} from './history-record.ts';

// docs/reference.md "Message history": delivered messages as metadata, kept
// HISTORY_RETENTION and at most HISTORY_MAX_MESSAGES, searchable by text and
// time. The sender writes (an attempt that defers, then the finish); the admin
// API of any process reads.
//
// Keys (under QUEUE_PREFIX, built here only):
//   <prefix>:history:records          hash: message id -> record (JSON)
//   <prefix>:history:index            zset: message id, scored by its finish (epoch ms)
//   <prefix>:history:attempts:<id>    list: the deferred attempts of a message
//                                     still queued (JSON each), expiring on its own
// One hash rather than a key per record: trimming by count must delete the
// oldest records, which a key's own expiry cannot do, and the index says
// which ones those are.

export interface HistorySettings {
  /** HISTORY_RETENTION; 0 = no history (every write is skipped, reads find nothing). */
  readonly retentionMs: number;
  /** HISTORY_MAX_MESSAGES: the oldest records go first beyond this. */
  readonly maxMessages: number;
}

export interface HistoryQuery {
  /** Part of an address, id, subject, user or client address; '' = every message. */
  readonly text: string;
  /** Epoch ms, inclusive; finished at or after. */
  readonly since?: number | undefined;
  /** Epoch ms, inclusive; finished at or before. */
  readonly until?: number | undefined;
  readonly limit: number;
}

export interface HistoryPage {
  /** Newest first. */
  readonly messages: HistoryRecord[];
  /** Messages of the time range looked at. */
  readonly scanned: number;
  /**
   * false: the search stopped at its scan budget (or at `limit`) before the
   * end of the time range; older matches may exist (narrow the range).
   */
  readonly complete: boolean;
  /** Messages in the time range (with or without the text). */
  readonly inRange: number;
}

/** What the sender knows at the end of a message's last attempt (who got it comes from the attempts). */
export type FinishedMessage = Omit<HistoryRecord, 'attempts' | 'delivered' | 'bounced'> & {
  readonly lastAttempt: HistoryAttempt;
};

export interface MessageHistory {
  readonly enabled: boolean;
  /** An attempt that deferred the message; kept `keepMs` unless the message finishes first. */
  recordAttempt(messageId: string, attempt: HistoryAttempt, keepMs: number): Promise<void>;
  /**
   * The message's last attempt is over: its record, with every attempt, when
   * at least one recipient has it (in this attempt or an earlier one);
   * otherwise nothing is kept (the failed list shows it).
   */
  finish(message: FinishedMessage): Promise<void>;
  /**
   * The message is queued again (an operator's retry for the recipients that
   * failed): its record leaves the history and its attempts wait for the next
   * finish, kept `keepMs`, so that the new record has them all.
   */
  reopen(messageId: string, keepMs: number): Promise<void>;
  get(messageId: string): Promise<HistoryRecord | undefined>;
  search(query: HistoryQuery): Promise<HistoryPage>;
  /** Messages kept within HISTORY_RETENTION. */
  count(): Promise<number>;
}

/** Records looked at per search before it stops and says so (`complete: false`). */
export const HISTORY_SCAN_BUDGET = 20_000;
const SCAN_BATCH = 500;
/** Records dropped per write at most: a write adds one, so this keeps up with any rate. */
const TRIM_PER_WRITE = 100;

/**
 * Stores the record, drops the attempts list, and trims the oldest records
 * (older than the cut-off, then beyond the maximum count) in one step, so the
 * index and the records never disagree. ARGV[7] '0': the record holds the
 * last attempt only; if earlier attempts are listed it writes nothing and
 * answers -1, and the caller reads them and calls again with '1'. So a
 * message delivered at its first attempt costs one call, and no attempt is
 * ever left out.
 */
const FINISH_SCRIPT = `
if ARGV[7] == '0' and redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
redis.call('DEL', KEYS[3])
local trim = tonumber(ARGV[6])
local drop = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[4], 'LIMIT', 0, trim)
local over = redis.call('ZCARD', KEYS[2]) - #drop - tonumber(ARGV[5])
if over > 0 then
  local extra = redis.call('ZRANGE', KEYS[2], #drop, #drop + math.min(over, trim) - 1)
  for _, id in ipairs(extra) do drop[#drop + 1] = id end
end
if #drop > 0 then
  redis.call('HDEL', KEYS[1], unpack(drop))
  redis.call('ZREM', KEYS[2], unpack(drop))
end
return #drop
`;

export function historyKeys(prefix: string) {
  return {
    records: `${prefix}:history:records`,
    index: `${prefix}:history:index`,
    attempts: (messageId: string): string => `${prefix}:history:attempts:${messageId}`,
  };
}

export function createRedisMessageHistory(options: {
  readonly redis: Redis;
  readonly prefix: string;
  readonly settings: HistorySettings;
  readonly now?: () => number;
}): MessageHistory {
  const { redis, settings } = options;
  const now = options.now ?? Date.now;
  const keys = historyKeys(options.prefix);
  const enabled = settings.retentionMs > 0 && settings.maxMessages > 0;
  const cutoff = (): number => now() - settings.retentionMs;
  const finishScript = luaScript(redis, FINISH_SCRIPT);

  async function earlierAttempts(messageId: string): Promise<HistoryAttempt[]> {
    const items = await redis.lrange(keys.attempts(messageId), 0, -1);
    return items.flatMap((item) => {
      try {
        return [JSON.parse(item) as HistoryAttempt];
      } catch {
        return [];
      }
    });
  }

  async function write(record: HistoryRecord, merged: boolean): Promise<number> {
    return Number(
      await finishScript(
        [keys.records, keys.index, keys.attempts(record.id)],
        [
          record.id,
          serializeHistoryRecord(record),
          record.finishedAt,
          cutoff(),
          settings.maxMessages,
          TRIM_PER_WRITE,
          merged ? '1' : '0',
        ],
      ),
    );
  }

  return {
    enabled,
    async recordAttempt(messageId, attempt, keepMs) {
      if (!enabled) return;
      const key = keys.attempts(messageId);
      await redis
        .multi()
        .rpush(key, JSON.stringify(attempt))
        .pexpire(key, Math.max(1, Math.round(keepMs)))
        .exec()
        .then(throwOnError);
    },
    async finish(message) {
      if (!enabled) return;
      const { lastAttempt, ...rest } = message;
      const alone = historyRecordOf(rest, [lastAttempt]);
      // Nobody got it in this attempt, and no earlier one is known to us yet: read them first.
      if (alone.delivered.length > 0 && (await write(alone, false)) !== -1) return;
      const earlier = await earlierAttempts(rest.id);
      const record = historyRecordOf(rest, [...earlier, lastAttempt]);
      if (record.delivered.length > 0) await write(record, true);
      else await redis.del(keys.attempts(rest.id));
    },
    async reopen(messageId, keepMs) {
      if (!enabled) return;
      const text = await redis.hget(keys.records, messageId);
      const record = text === null ? undefined : parseHistoryRecord(text);
      const multi = redis.multi().hdel(keys.records, messageId).zrem(keys.index, messageId);
      if (record !== undefined && record.attempts.length > 0) {
        const key = keys.attempts(messageId);
        multi
          .del(key)
          .rpush(key, ...record.attempts.map((attempt) => JSON.stringify(attempt)))
          .pexpire(key, Math.max(1, Math.round(keepMs)));
      }
      await multi.exec().then(throwOnError);
    },
    async get(messageId) {
      if (!enabled) return undefined;
      const text = await redis.hget(keys.records, messageId);
      const record = text === null ? undefined : parseHistoryRecord(text);
      return record !== undefined && record.finishedAt >= cutoff() ? record : undefined;
    },
    async search(query) {
      if (!enabled) return { messages: [], scanned: 0, complete: true, inRange: 0 };
      const min = Math.max(query.since ?? 0, cutoff());
      const max = query.until ?? '+inf';
      const inRange = await redis.zcount(keys.index, min, max);
      const messages: HistoryRecord[] = [];
      const seen = new Set<string>();
      let scanned = 0;
      let offset = 0;
      /** A match found beyond `limit`. */
      let more = false;
      for (;;) {
        if (more || messages.length >= query.limit || scanned >= HISTORY_SCAN_BUDGET) {
          return { messages, scanned, complete: !more && seen.size >= inRange, inRange };
        }
        const ids = await redis.zrevrangebyscore(
          keys.index,
          max,
          min,
          'LIMIT',
          offset,
          Math.min(SCAN_BATCH, HISTORY_SCAN_BUDGET - scanned),
        );
        if (ids.length === 0) return { messages, scanned, complete: !more, inRange };
        offset += ids.length;
        scanned += ids.length;
        const texts = await redis.hmget(keys.records, ...ids);
        for (const text of texts) {
          const record = text === null ? undefined : parseHistoryRecord(text);
          // New records arriving during the search shift the offsets: skip repeats.
          if (record === undefined || seen.has(record.id)) continue;
          seen.add(record.id);
          if (!matchesHistoryText(record, query.text)) continue;
          if (messages.length < query.limit) messages.push(record);
          else more = true;
        }
      }
    },
    async count() {
      if (!enabled) return 0;
      return redis.zcount(keys.index, cutoff(), '+inf');
    },
  };
}

function throwOnError(replies: [Error | null, unknown][] | null): void {
  for (const [error] of replies ?? []) if (error) throw error;
}
