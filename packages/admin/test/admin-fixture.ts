import { createLogger, createMetrics, RELAY_VERSION } from '@smtp-relay/observability';
import {
  createDeliveryQueue,
  DELIVERY_JOB_NAME,
  newDeliveryJob,
  newMessageId,
  type DeliveryQueue,
} from '@smtp-relay/queue';
import type { PublishedRouteStatus } from '@smtp-relay/smart-host/route-status';
import { createRedisMessageStore } from '@smtp-relay/store';
import { connectTestRedis, type TestRedisConnection } from '@smtp-relay/testkit';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { createRelayAdminHttp } from '../src/relay-admin-http.ts';

// What the admin HTTP tests share: a "sales" route as a sender publishes it,
// the admin app on a real Redis, and a message queued for later.

/** A "sales" route: primary down and cooling down, backup up, rates in use. */
export function salesRoute(overrides: Partial<PublishedRouteStatus> = {}): PublishedRouteStatus {
  return {
    name: 'sales',
    match: { senders: ['*@sales.example.com'], users: [] },
    hosts: [
      {
        host: 'primary.example',
        port: 587,
        tls: 'starttls',
        up: false,
        coolingDownMs: 600_000,
        failures: 2,
      },
      {
        host: 'backup.example',
        port: 465,
        tls: 'implicit',
        up: true,
        coolingDownMs: 0,
        failures: 0,
      },
    ],
    rate: '30/1m',
    recipientRate: '10000/1d',
    sentInWindow: 7,
    recipientsInWindow: 9,
    pausedMs: 0,
    pauses: 0,
    heldMs: 0,
    connectionLimit: 2,
    inFlight: 1,
    auth: 'password',
    oauth2: null,
    ...overrides,
  };
}

export interface AdminApp {
  redis: TestRedisConnection<Redis>;
  queue: DeliveryQueue;
  app: FastifyInstance;
  close: () => Promise<void>;
}

/** The admin HTTP app (not listening) on a real Redis under `prefix`. */
export async function startAdminApp(prefix: string, adminToken: string): Promise<AdminApp> {
  const redis = await connectTestRedis(prefix, (url) => new Redis(url));
  const { connection } = redis;
  const queue = createDeliveryQueue({ connection, prefix });
  const store = createRedisMessageStore({ redis: connection, prefix });
  const app = await createRelayAdminHttp({
    logger: createLogger({ service: 'test', version: RELAY_VERSION, level: 'silent' }),
    metrics: createMetrics(),
    readiness: [],
    queueAccess: { queue, store, redis: connection, prefix },
    adminToken,
    history: { retentionMs: 7 * 86_400_000, maxMessages: 100_000 },
    host: '127.0.0.1',
    port: 0,
  });
  return {
    redis,
    queue,
    app,
    close: async () => {
      await app.close();
      await queue.close();
      await redis.close();
    },
  };
}

/** Queues a message from the sales scanner, due in an hour; its id. */
export async function queueLater(queue: DeliveryQueue, route: string | undefined): Promise<string> {
  const id = newMessageId();
  const job = newDeliveryJob({
    messageId: id,
    size: 20,
    mailFrom: 'scanner@sales.example.com',
    recipients: ['boss@example.test'],
    receivedAt: Date.now(),
    client: { address: '192.0.2.7', helo: 'scanner.lan' },
    authUser: null,
    bodyType: '7bit',
    smtpUtf8: false,
    route,
  });
  await queue.add(DELIVERY_JOB_NAME, job, { jobId: id, delay: 3_600_000 });
  return id;
}
