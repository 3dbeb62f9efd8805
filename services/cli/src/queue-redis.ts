import { ConfigError, loadIngressConfig, type Environment } from '@smtp-relay/config';
import { connectRedis, type HistorySettings } from '@smtp-relay/store';
import type { Redis } from 'ioredis';
import type { CommandIo } from './command-io.ts';

export interface QueueRedis {
  readonly redis: Redis;
  /** QUEUE_PREFIX */
  readonly prefix: string;
  /** HISTORY_RETENTION, HISTORY_MAX_MESSAGES: what `queue search` reads. */
  readonly history: HistorySettings;
}

/**
 * The Redis of the queue (REDIS_URL, REDIS_PASSWORD(_FILE), REDIS_SENTINEL*, REDIS_CA_FILE,
 * QUEUE_PREFIX, HISTORY_*) for commands
 * that read or change its state; undefined, with the problems printed, when those
 * variables are invalid. Only they are read: the ingress schema requires nothing else.
 */
export function openQueueRedis(env: Environment, io: CommandIo): QueueRedis | undefined {
  let config;
  try {
    config = loadIngressConfig({
      REDIS_URL: env['REDIS_URL'],
      REDIS_PASSWORD: env['REDIS_PASSWORD'],
      REDIS_PASSWORD_FILE: env['REDIS_PASSWORD_FILE'],
      REDIS_CA_FILE: env['REDIS_CA_FILE'],
      REDIS_SENTINELS: env['REDIS_SENTINELS'],
      REDIS_SENTINEL_MASTER: env['REDIS_SENTINEL_MASTER'],
      REDIS_SENTINEL_PASSWORD: env['REDIS_SENTINEL_PASSWORD'],
      REDIS_SENTINEL_PASSWORD_FILE: env['REDIS_SENTINEL_PASSWORD_FILE'],
      QUEUE_PREFIX: env['QUEUE_PREFIX'],
      HISTORY_RETENTION: env['HISTORY_RETENTION'],
      HISTORY_MAX_MESSAGES: env['HISTORY_MAX_MESSAGES'],
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.error(error.message);
    return undefined;
  }
  const redis = connectRedis(config.redis, { maxRetriesPerRequest: 1, connectTimeout: 5000 });
  redis.on('error', () => undefined);
  return {
    redis,
    prefix: config.queuePrefix,
    history: { retentionMs: config.historyRetentionMs, maxMessages: config.historyMaxMessages },
  };
}
