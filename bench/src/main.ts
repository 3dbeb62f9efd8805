// `npm run bench`: N messages at concurrency C through the real processes
// (ingress and sender as separate processes, a private redis-server, a
// counting sink as smart host), all on loopback. Prints accepted msg/s,
// delivered msg/s and the peak RSS of ingress + sender (+ Redis).
//
//   npm run bench -- --messages 5000 --concurrency 10 --size 4k --fsync everysec
//   npm run bench -- --messages 10 --concurrency 2 --size 20m      (memory per large message)
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseSize } from '@smtp-relay/config';
import { getFreePort, startRedisServer, waitFor } from '@smtp-relay/testkit';
import { generateLoad } from './load.ts';
import { redisCommandsPerMessage, watchRedisUsage } from './redis-usage.ts';
import { sampleRss } from './rss-sampler.ts';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '10' },
    size: { type: 'string', default: '4k' },
    fsync: { type: 'string', default: 'everysec' },
    'sender-concurrency': { type: 'string', default: '50' },
    /** 0: one connection per message (printers, scanners, most apps). */
    reuse: { type: 'string', default: '1' },
    /** Write V8 CPU profiles of ingress and sender into this directory. */
    profile: { type: 'string' },
  },
});
const messages = Number(values.messages);
const concurrency = Number(values.concurrency);
const size = parseSize(values.size);
const fsync = values.fsync;
if (!['always', 'everysec', 'off'].includes(fsync))
  throw new Error('--fsync takes always, everysec or off');

const root = fileURLToPath(new URL('../../', import.meta.url));
const children: ChildProcess[] = [];
const stopAll = (): void => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
};
process.on('exit', stopAll);

const redis = await startRedisServer({
  appendOnly: fsync !== 'off',
  extraArgs: fsync === 'off' ? [] : ['--appendfsync', fsync],
});

// The sink: counts what the sender delivers.
const sink = spawn(process.execPath, [`${root}bench/src/sink.ts`], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
children.push(sink);
let delivered = 0;
let lastDeliveryAt = 0;
const sinkPort = await new Promise<number>((resolve) => {
  createInterface({ input: sink.stdout }).on('line', (line) => {
    const [kind, a, b] = line.split(' ');
    if (kind === 'ready') resolve(Number(a));
    if (kind === 'count') {
      delivered = Number(a);
      lastDeliveryAt = Number(b);
    }
  });
});

const smtpPort = await getFreePort();
const env = {
  PATH: process.env['PATH'] ?? '',
  REDIS_URL: redis.url,
  QUEUE_PREFIX: 'bench',
  LOG_LEVEL: 'warn',
  SMTP_HOST: '127.0.0.1',
  SMTP_PORT: String(smtpPort),
  SMTP_HOSTNAME: 'relay.bench.test',
  SMTP_RELAY_NETWORKS: '127.0.0.0/8',
  SMTP_MAX_CLIENTS: '2000',
  SMTP_MAX_MESSAGE_SIZE: String(Math.max(size * 2, 25 * 1024 * 1024)),
  SMART_HOST: '127.0.0.1',
  SMART_HOST_PORT: String(sinkPort),
  SMART_HOST_TLS: 'none',
  SENDER_CONCURRENCY: values['sender-concurrency'],
  ADMIN_HOST: '127.0.0.1',
  // As the image and the npm start scripts run the services (ADR 006); override to compare.
  NODE_OPTIONS: process.env['BENCH_NODE_OPTIONS'] ?? '--max-semi-space-size=4',
};
async function startService(name: 'ingress' | 'sender'): Promise<ChildProcess> {
  const adminPort = await getFreePort();
  const profile =
    values.profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${values.profile}`];
  const child = spawn(process.execPath, [...profile, `${root}services/${name}/src/main.ts`], {
    env: { ...env, ADMIN_PORT: String(adminPort) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  children.push(child);
  await waitFor(
    async () =>
      (await fetch(`http://127.0.0.1:${String(adminPort)}/readyz`).catch(() => undefined))
        ?.status === 200,
    { timeoutMs: 20_000, description: `${name} ready` },
  );
  return child;
}
const ingress = await startService('ingress');
const sender = await startService('sender');
const pids = [ingress.pid, sender.pid].filter((pid): pid is number => pid !== undefined);
const relayRss = sampleRss(() => pids);
const withRedisRss = sampleRss(() => [...pids, ...(redis.pid === undefined ? [] : [redis.pid])]);

console.log(
  `smtp-relay bench: ${String(messages)} messages of ${values.size} at concurrency ${String(concurrency)}, ` +
    `${values.reuse === '0' ? 'one connection per message' : 'connections reused'}, ` +
    `sender concurrency ${values['sender-concurrency']}, Redis AOF ${fsync === 'off' ? 'off' : `appendfsync ${fsync}`}, node ${process.version}`,
);
const redisUsage = await watchRedisUsage(redis.url);
const started = Date.now();
const load = await generateLoad({
  port: smtpPort,
  messages,
  concurrency,
  size,
  reuseConnections: values.reuse !== '0',
});
await waitFor(() => delivered >= messages - load.failed, {
  timeoutMs: 600_000,
  intervalMs: 20,
  description: `${String(messages)} deliveries (have ${String(delivered)})`,
});
const usage = await redisUsage.stop();
const cpuSeconds = (pid: number | undefined): number => {
  if (pid === undefined) return 0;
  const fields =
    readFileSync(`/proc/${String(pid)}/stat`, 'utf8')
      .split(') ')[1]
      ?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
const cpu = {
  ingress: cpuSeconds(ingress.pid),
  sender: cpuSeconds(sender.pid),
  redis: cpuSeconds(redis.pid),
};
const relayPeak = relayRss.stop();
const totalPeak = withRedisRss.stop();
const acceptedSeconds = (load.endedAt - started) / 1000;
const deliveredSeconds = (lastDeliveryAt - started) / 1000;
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
console.log(
  `accepted:  ${(messages / acceptedSeconds).toFixed(0)} msg/s (${acceptedSeconds.toFixed(2)} s, ${String(load.failed)} refused)`,
);
console.log(
  `delivered: ${(delivered / deliveredSeconds).toFixed(0)} msg/s (${deliveredSeconds.toFixed(2)} s, ${String(delivered)} messages)`,
);
console.log(`peak RSS:  ingress + sender ${mib(relayPeak)}; with Redis ${mib(totalPeak)}`);
const perMessage = (seconds: number): string => `${((seconds * 1000) / messages).toFixed(2)} ms`;
console.log(
  `CPU/msg:   ingress ${perMessage(cpu.ingress)}, sender ${perMessage(cpu.sender)}, Redis ${perMessage(cpu.redis)} (start-up included)`,
);
console.log(
  `Redis/msg: ${(usage.totalCommands / messages).toFixed(1)} commands, ${(usage.reads / messages).toFixed(1)} round trips, ` +
    `${((usage.cpuSeconds * 1000) / messages).toFixed(3)} ms CPU (measured stretch only)`,
);
console.log(`           ${redisCommandsPerMessage(usage, messages)}`);

stopAll();
await Promise.all(children.map((child) => new Promise((resolve) => child.once('exit', resolve))));
await redis.cleanup();
process.exit(load.failed > 0 ? 1 : 0);
