import { THROUGHPUT_RANGES, type ThroughputBucket, type ThroughputRange } from '@smtp-relay/store';
import type { FastifyInstance } from 'fastify';

// The dashboard's throughput chart: messages received, delivered, deferred and
// bounced per minute over the last hour or over the last day,
// from every replica (store throughput.ts). Registered by admin-routes.ts
// inside its ADMIN_TOKEN scope.

export type ThroughputReader = (
  range: ThroughputRange,
) => Promise<{ readonly bucketMs: number; readonly buckets: readonly ThroughputBucket[] }>;

const RANGES = Object.keys(THROUGHPUT_RANGES) as ThroughputRange[];

export function registerThroughputRoutes(scope: FastifyInstance, read: ThroughputReader): void {
  scope.get<{ Querystring: { range?: string } }>('/api/v1/throughput', async (request, reply) => {
    const range = request.query.range ?? 'hour';
    if (!(RANGES as string[]).includes(range)) {
      return reply.code(400).send({ error: `range must be one of ${RANGES.join(', ')}` });
    }
    const { bucketMs, buckets } = await read(range as ThroughputRange);
    return {
      range,
      bucketMs,
      buckets: buckets.map((bucket) => ({
        start: new Date(bucket.start).toISOString(),
        ...bucket.counts,
      })),
    };
  });
}
