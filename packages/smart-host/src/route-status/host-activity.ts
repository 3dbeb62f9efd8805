import type { Redis } from 'ioredis';
import { hostActivityKey } from './route-status-keys.ts';

// Each smart host's last reply and last success, for the dashboard's smart host
// status (docs/reference.md "Admin HTTP"). A sender notes them in memory as its
// attempts end (no Redis command per message) and writes them with the route
// status every few seconds; the newest reply of any replica wins, so the
// dashboard of every process shows the same.

export interface HostActivity {
  /** The smart host's last reply (or our reason for its failure). */
  readonly lastReply: string | null;
  /** Epoch ms of that reply. */
  readonly lastReplyAt: number | null;
  /** Epoch ms of the last message it took. */
  readonly lastSuccessAt: number | null;
}

export interface HostActivityLog {
  /** What `hostKey` of `route` answered at the end of an attempt. */
  note(route: string, hostKey: string, reply: string, succeeded: boolean): void;
  /** Writes what changed since the last write; never rejects. */
  publish(redis: Redis, prefix: string): Promise<void>;
}

/** Long replies (a stack of recipient errors) are cut: the dashboard shows a line. */
const MAX_REPLY_LENGTH = 500;
/** A host no sender has talked to for this long is forgotten. */
const KEEP_MS = 7 * 86_400_000;

// Newer wins: another replica's later reply or success is never overwritten
// with an older one. ARGV: reply at (0: none), reply, success at (0: none), keep ms.
const PUBLISH_SCRIPT = `
local replyAt = tonumber(ARGV[1])
if replyAt > 0 and replyAt > tonumber(redis.call('HGET', KEYS[1], 'replyAt') or '0') then
  redis.call('HSET', KEYS[1], 'replyAt', ARGV[1], 'reply', ARGV[2])
end
local successAt = tonumber(ARGV[3])
if successAt > 0 and successAt > tonumber(redis.call('HGET', KEYS[1], 'successAt') or '0') then
  redis.call('HSET', KEYS[1], 'successAt', ARGV[3])
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`;

interface Noted {
  reply: string;
  replyAt: number;
  successAt: number;
}

export function createHostActivityLog(now: () => number = Date.now): HostActivityLog {
  /** route -> host key -> what is not written yet */
  const pending = new Map<string, Map<string, Noted>>();
  return {
    note(route, hostKey, reply, succeeded) {
      let hosts = pending.get(route);
      if (hosts === undefined) {
        hosts = new Map();
        pending.set(route, hosts);
      }
      const at = now();
      const before = hosts.get(hostKey);
      hosts.set(hostKey, {
        reply: reply.slice(0, MAX_REPLY_LENGTH),
        replyAt: at,
        successAt: succeeded ? at : (before?.successAt ?? 0),
      });
    },
    async publish(redis, prefix) {
      if (pending.size === 0) return;
      const writing = [...pending].flatMap(([route, hosts]) =>
        [...hosts].map(([hostKey, noted]) => ({ route, hostKey, noted })),
      );
      pending.clear();
      const pipeline = redis.pipeline();
      for (const { route, hostKey, noted } of writing) {
        pipeline.eval(
          PUBLISH_SCRIPT,
          1,
          hostActivityKey(prefix, route, hostKey),
          String(noted.replyAt),
          noted.reply,
          String(noted.successAt),
          String(KEEP_MS),
        );
      }
      try {
        await pipeline.exec();
      } catch {
        // Redis away: the next reply is written instead; the dashboard lags a little.
      }
    },
  };
}

/** What the senders wrote of each of `hostKeys` (none yet: all null). */
export async function readHostActivity(
  redis: Redis,
  prefix: string,
  route: string,
  hostKeys: readonly string[],
): Promise<HostActivity[]> {
  const pipeline = redis.pipeline();
  for (const key of hostKeys) pipeline.hgetall(hostActivityKey(prefix, route, key));
  const replies = (await pipeline.exec()) ?? [];
  return hostKeys.map((_, index) => {
    const hash = (replies[index]?.[1] ?? {}) as Record<string, string | undefined>;
    const at = (value: string | undefined): number | null =>
      value === undefined ? null : Number(value);
    return {
      lastReply: hash['reply'] ?? null,
      lastReplyAt: at(hash['replyAt']),
      lastSuccessAt: at(hash['successAt']),
    };
  });
}
