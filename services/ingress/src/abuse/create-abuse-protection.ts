import type { IngressConfig } from '@smtp-relay/config';
import type { Logger, RelayMetrics } from '@smtp-relay/observability';
import { createRedisClientBlocks } from '@smtp-relay/store';
import type { Redis } from 'ioredis';
import { createFilterFile } from '../filter/filter-file.ts';
import { createTransactionFilter } from '../filter/transaction-filter.ts';
import type { AbuseProtection } from './abuse-protection.ts';
import { createClientBlocking } from './client-blocking.ts';
import { createConnectionsPerIp } from './connections-per-ip.ts';
import { createLogLimiter } from './log-limiter.ts';

// The composition of ingress's abuse protection from its configuration; kept
// apart from abuse-protection.ts so that server.ts does not import ioredis.

export interface AbuseProtectionDependencies {
  readonly config: Pick<
    IngressConfig,
    | 'queuePrefix'
    | 'filterFile'
    | 'filterBlockTimeMs'
    | 'authMaxFailures'
    | 'authFailureWindowMs'
    | 'authBlockTimeMs'
    | 'maxClientsPerIp'
  >;
  /** Ingress's Redis connection (fails fast while Redis is away). */
  readonly redis: Redis;
  readonly logger: Logger;
  readonly metrics: RelayMetrics;
}

/** Builds the abuse protection; loads the filter file (rejects if it cannot be read). */
export async function createAbuseProtection(
  deps: AbuseProtectionDependencies,
): Promise<{ readonly protection: AbuseProtection; close(): void }> {
  const { config, logger } = deps;
  const limits = {
    maxFailures: config.authMaxFailures,
    windowMs: config.authFailureWindowMs,
    blockMs: config.authBlockTimeMs,
  };
  const blocking = createClientBlocking({
    blocks: createRedisClientBlocks({ redis: deps.redis, prefix: config.queuePrefix, limits }),
    limits,
    logger,
    metrics: deps.metrics,
  });
  const filterFile = config.filterFile
    ? await createFilterFile({ path: config.filterFile, logger })
    : undefined;
  return {
    protection: {
      connections: createConnectionsPerIp(config.maxClientsPerIp),
      blocking,
      filter: filterFile
        ? createTransactionFilter({
            rules: () => filterFile.rules(),
            blocking,
            blockTimeMs: config.filterBlockTimeMs,
          })
        : undefined,
      refusalLog: createLogLimiter(),
    },
    close() {
      filterFile?.close();
    },
  };
}
