import type { Redis } from 'ioredis';
import type { MessageStore } from './message-store.ts';
import { bodyKeyOf } from './redis-message-store.ts';

// docs/reference.md "Failed messages and retry": the recipients a message
// failed for (bounced, or expired at MAX_QUEUE_LIFETIME), and its body, kept
// for FAILED_RETENTION after its last attempt, so that an operator who fixed
// the cause can send it again. Redis's own key expiry is the sweep.
//
// Keys (under QUEUE_PREFIX, built here and in redis-message-store.ts only):
//   <prefix>:failed:<messageId>   hash: `job` (the job as it was first bounced,
//                                 JSON) and `to:<address>` per failed recipient

export interface FailedRecord {
  /** The delivery job (JSON) as it was when a recipient first failed. */
  readonly job: string;
  readonly recipients: readonly string[];
  /** Epoch ms when the body and this record are removed; undefined: not finished yet. */
  readonly keptUntil: number | undefined;
}

export interface FailedMessages {
  /**
   * Adds recipients the message failed for. Kept at least `ttlMs` (the rest
   * of the message's lifetime plus FAILED_RETENTION) until finish() sets it.
   */
  recordFailed(
    messageId: string,
    job: string,
    recipients: readonly string[],
    ttlMs: number,
  ): Promise<void>;
  /**
   * The message's last attempt is over. With a failed recipient, the body and
   * the record are kept `retentionMs` from now (true); otherwise the body is
   * deleted (false).
   */
  finish(messageId: string, retentionMs: number): Promise<boolean>;
  read(messageId: string): Promise<FailedRecord | undefined>;
  /** For a retry: the body is kept again without end; false when it is gone. */
  reclaimBody(messageId: string): Promise<boolean>;
  /** The record goes (the message was queued again, or deleted). */
  forget(messageId: string): Promise<void>;
}

const RECIPIENT_FIELD = 'to:';

export function failedKeyOf(prefix: string, messageId: string): string {
  return `${prefix}:failed:${messageId}`;
}

export function createRedisFailedMessages(options: {
  readonly redis: Redis;
  readonly prefix: string;
}): FailedMessages {
  const { redis, prefix } = options;
  const recordKey = (id: string): string => failedKeyOf(prefix, id);
  const bodyKey = (id: string): string => bodyKeyOf(prefix, id);

  return {
    async recordFailed(messageId, job, recipients, ttlMs) {
      if (recipients.length === 0) return;
      const key = recordKey(messageId);
      const fields = recipients.flatMap((recipient) => [`${RECIPIENT_FIELD}${recipient}`, '1']);
      await redis
        .multi()
        .hsetnx(key, 'job', job)
        .hset(key, ...fields)
        .pexpire(key, Math.max(1, Math.round(ttlMs)))
        .exec()
        .then(throwOnError);
    },
    async finish(messageId, retentionMs) {
      const ttl = Math.max(1, Math.round(retentionMs));
      if ((await redis.exists(recordKey(messageId))) === 1) {
        await redis
          .multi()
          .pexpire(recordKey(messageId), ttl)
          .pexpire(bodyKey(messageId), ttl)
          .exec()
          .then(throwOnError);
        return true;
      }
      await redis.del(bodyKey(messageId));
      return false;
    },
    async read(messageId) {
      const [[recordError, fields], [ttlError, ttl]] = (await redis
        .multi()
        .hgetall(recordKey(messageId))
        .pttl(bodyKey(messageId))
        .exec()) as [[Error | null, Record<string, string>], [Error | null, number]];
      if (recordError) throw recordError;
      if (ttlError) throw ttlError;
      const job = fields['job'];
      if (job === undefined) return undefined;
      const recipients = Object.keys(fields)
        .filter((field) => field.startsWith(RECIPIENT_FIELD))
        .map((field) => field.slice(RECIPIENT_FIELD.length));
      return { job, recipients, keptUntil: ttl > 0 ? Date.now() + ttl : undefined };
    },
    async reclaimBody(messageId) {
      const [, [existsError, exists]] = (await redis
        .multi()
        .persist(bodyKey(messageId))
        .exists(bodyKey(messageId))
        .exec()) as [[Error | null, number], [Error | null, number]];
      if (existsError) throw existsError;
      return exists === 1;
    },
    async forget(messageId) {
      await redis.del(recordKey(messageId));
    },
  };
}

function throwOnError(results: [Error | null, unknown][] | null): void {
  if (results === null) throw new Error('Redis transaction discarded');
  for (const [error] of results) if (error) throw error;
}

/**
 * FailedMessages in this process's memory, beside a memory message store:
 * the fake for unit tests. Expiry is read against `now` (tests move the clock).
 */
export function createMemoryFailedMessages(options: {
  readonly store: Pick<MessageStore, 'exists' | 'delete'>;
  readonly now?: () => number;
}): FailedMessages {
  const now = options.now ?? Date.now;
  const records = new Map<
    string,
    { job: string; recipients: Set<string>; expiresAt: number; bodyKeptUntil?: number }
  >();
  const live = (messageId: string) => {
    const record = records.get(messageId);
    if (record && record.expiresAt <= now()) {
      records.delete(messageId);
      if (record.bodyKeptUntil !== undefined) void options.store.delete(messageId);
      return undefined;
    }
    return record;
  };
  return {
    recordFailed(messageId, job, recipients, ttlMs) {
      if (recipients.length === 0) return Promise.resolve();
      const record = live(messageId) ?? { job, recipients: new Set<string>(), expiresAt: 0 };
      for (const recipient of recipients) record.recipients.add(recipient);
      record.expiresAt = now() + ttlMs;
      records.set(messageId, record);
      return Promise.resolve();
    },
    async finish(messageId, retentionMs) {
      const record = live(messageId);
      if (record === undefined) {
        await options.store.delete(messageId);
        return false;
      }
      record.expiresAt = now() + retentionMs;
      record.bodyKeptUntil = record.expiresAt;
      return true;
    },
    read(messageId) {
      const record = live(messageId);
      return Promise.resolve(
        record && {
          job: record.job,
          recipients: [...record.recipients],
          keptUntil: record.bodyKeptUntil,
        },
      );
    },
    async reclaimBody(messageId) {
      const record = live(messageId);
      if (record) delete record.bodyKeptUntil;
      return options.store.exists(messageId);
    },
    forget(messageId) {
      records.delete(messageId);
      return Promise.resolve();
    },
  };
}
