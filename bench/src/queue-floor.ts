// What BullMQ alone costs Redis per message, with the relay's job options: one
// add per message (as ingress does) and a worker whose processor does nothing
// (as if the smart host answered at once), against a private redis-server with
// AOF everysec. The relay's own Redis work per message (body, holds, leases)
// comes on top; compare with `npm run bench` (README "Performance").
//
//   npm run bench:queue-floor -- --messages 5000 --concurrency 50
import { parseArgs } from 'node:util';
import { DELIVERY_JOB_OPTIONS } from '@smtp-relay/queue';
import { startRedisServer, waitFor } from '@smtp-relay/testkit';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { redisCommandsPerMessage, watchRedisUsage } from './redis-usage.ts';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '50' },
  },
});
const messages = Number(values.messages);
const concurrency = Number(values.concurrency);

const redis = await startRedisServer({
  appendOnly: true,
  extraArgs: ['--appendfsync', 'everysec'],
});
const producerConnection = new Redis(redis.url);
const workerConnection = new Redis(redis.url, { maxRetriesPerRequest: null });
const queue = new Queue('delivery', {
  connection: producerConnection,
  prefix: 'floor',
  defaultJobOptions: DELIVERY_JOB_OPTIONS,
});
let done = 0;
const worker = new Worker('delivery', () => Promise.resolve('250 2.0.0 Ok'), {
  connection: workerConnection,
  prefix: 'floor',
  concurrency,
});
worker.on('completed', () => {
  done++;
});
await worker.waitUntilReady();
const usage = await watchRedisUsage(redis.url);
const started = Date.now();
let next = 0;
const body = 'x'.repeat(400);
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < messages) {
      const id = `m${String(next++)}x`;
      await queue.add('relay', { v: 1, messageId: id, body }, { jobId: id });
    }
  }),
);
await waitFor(() => done >= messages, { timeoutMs: 600_000, intervalMs: 20, description: 'jobs' });
const seconds = (Date.now() - started) / 1000;
const measured = await usage.stop();
console.log(
  `BullMQ alone, ${String(messages)} jobs at concurrency ${String(concurrency)}: ${(messages / seconds).toFixed(0)} jobs/s; ` +
    `Redis per job ${(measured.totalCommands / messages).toFixed(1)} commands, ${(measured.reads / messages).toFixed(1)} round trips, ` +
    `${((measured.cpuSeconds * 1000) / messages).toFixed(3)} ms CPU`,
);
console.log(`           ${redisCommandsPerMessage(measured, messages)}`);
await worker.close();
await queue.close();
producerConnection.disconnect();
workerConnection.disconnect();
await redis.cleanup();
