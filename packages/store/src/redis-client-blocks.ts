import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  clientBlockKeys,
  isBlockReason,
  requireClientAddress,
  type AuthFailureLimits,
  type BlockOutcome,
  type BlockReason,
  type ClientBlock,
  type ClientBlockList,
  type ClientBlocks,
} from './client-blocks.ts';

export interface RedisClientBlocksOptions {
  readonly redis: Redis;
  /** QUEUE_PREFIX: keys are `<prefix>:blocks:*` (see clientBlockKeys). */
  readonly prefix: string;
}

// Each change is one Lua script, so replicas counting failures for the same address
// at the same moment cannot both miss the limit or overwrite each other's block.
// Times come from Redis (TIME), not from each replica's clock. Epoch milliseconds
// are formatted with %d: Lua would otherwise print large numbers as 1.7e+12.

/** Shared tail: sets the block unless one that ends later is in force. */
const SET_BLOCK = `
local function setBlock(blockKey, indexKey, address, now, ms, reason)
  local untilMs = now + ms
  local current = tonumber(redis.call('HGET', blockKey, 'until') or '0')
  if current >= untilMs then
    return {current, redis.call('HGET', blockKey, 'reason'), 0}
  end
  redis.call('HSET', blockKey, 'reason', reason, 'until', string.format('%d', untilMs))
  redis.call('PEXPIREAT', blockKey, string.format('%d', untilMs))
  redis.call('ZADD', indexKey, string.format('%d', untilMs), address)
  redis.call('ZREMRANGEBYSCORE', indexKey, '-inf', string.format('%d', now))
  return {untilMs, reason, 1}
end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
`;

/** KEYS: block, index. ARGV: address, ms, reason. Returns {until, reason, created}. */
const BLOCK_SCRIPT = `${SET_BLOCK}
return setBlock(KEYS[1], KEYS[2], ARGV[1], now, tonumber(ARGV[2]), ARGV[3])`;

/**
 * KEYS: failures, block, index. ARGV: address, windowMs, maxFailures, blockMs, nonce.
 * A sliding window: a sorted set of failure times, trimmed to the window and to the
 * newest maxFailures entries (so an address cannot grow it without bound).
 * Returns {failures, until, reason, created}; until is 0 while under the limit. An
 * address already blocked is answered with its block, uncounted.
 */
const AUTH_FAILURE_SCRIPT = `${SET_BLOCK}
local window = tonumber(ARGV[2])
local max = tonumber(ARGV[3])
-- Already blocked: failures of connections opened before the block neither count
-- nor extend it (one block per burst, however the replicas race).
local blockedUntil = tonumber(redis.call('HGET', KEYS[2], 'until') or '0')
if blockedUntil > now then return {max, blockedUntil, redis.call('HGET', KEYS[2], 'reason'), 0} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%d', now - window))
redis.call('ZADD', KEYS[1], string.format('%d', now), string.format('%d', now) .. '-' .. ARGV[5])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(max + 1))
redis.call('PEXPIRE', KEYS[1], window)
local failures = redis.call('ZCARD', KEYS[1])
if failures < max then return {failures, 0, '', 0} end
redis.call('DEL', KEYS[1])
local result = setBlock(KEYS[2], KEYS[3], ARGV[1], now, tonumber(ARGV[4]), 'auth')
return {failures, result[1], result[2], result[3]}`;

function toOutcome(address: string, until: unknown, reason: unknown, created: unknown) {
  if (!isBlockReason(reason)) throw new Error(`unexpected block reason ${String(reason)}`);
  const block: ClientBlock = { address, reason, until: Number(until) };
  return { block, created: created === 1 } satisfies BlockOutcome;
}

/** List and lift only: for the admin API and the CLI, which never count failures. */
export function createRedisClientBlockList(options: RedisClientBlocksOptions): ClientBlockList {
  const { redis } = options;
  const keys = clientBlockKeys(options.prefix);

  async function read(address: string): Promise<ClientBlock | undefined> {
    const [reason, until] = await redis.hmget(keys.block(address), 'reason', 'until');
    if (!isBlockReason(reason) || until === null) return undefined;
    return { address, reason, until: Number(until) };
  }

  return {
    isBlocked: async (address) => read(requireClientAddress(address)),
    async list() {
      const now = Date.now();
      const entries = await redis.zrangebyscore(keys.index, now, '+inf');
      const blocks = await Promise.all(entries.map(read));
      return blocks
        .filter((block): block is ClientBlock => block !== undefined && block.until > now)
        .sort((a, b) => a.until - b.until);
    },
    async lift(address) {
      const canonical = requireClientAddress(address);
      const results = await redis
        .multi()
        .del(keys.block(canonical))
        .zrem(keys.index, canonical)
        .del(keys.failures(canonical))
        .exec();
      const deleted = results?.[0]?.[1];
      return deleted === 1;
    },
  };
}

export function createRedisClientBlocks(
  options: RedisClientBlocksOptions & { readonly limits: AuthFailureLimits },
): ClientBlocks {
  const { redis, limits } = options;
  const keys = clientBlockKeys(options.prefix);
  return {
    ...createRedisClientBlockList(options),
    async recordAuthFailure(address) {
      const canonical = requireClientAddress(address);
      const result = (await redis.eval(
        AUTH_FAILURE_SCRIPT,
        3,
        keys.failures(canonical),
        keys.block(canonical),
        keys.index,
        canonical,
        limits.windowMs,
        limits.maxFailures,
        limits.blockMs,
        randomUUID(),
      )) as [number, number, string, number];
      const [failures, until, reason, created] = result;
      return {
        failures,
        blocked: until === 0 ? undefined : toOutcome(canonical, until, reason, created),
      };
    },
    async block(address: string, ms: number, reason: BlockReason) {
      const canonical = requireClientAddress(address);
      const [until, current, created] = (await redis.eval(
        BLOCK_SCRIPT,
        2,
        keys.block(canonical),
        keys.index,
        canonical,
        Math.max(1, Math.round(ms)),
        reason,
      )) as [number, string, number];
      return toOutcome(canonical, until, current, created);
    },
  };
}
