// `npm run soak -- --duration 1h`: steady load through real processes (an
// ingress, senders, Redis with its append-only file, a fake smart host) while
// a fault loop SIGKILLs and restarts a sender, the ingress and Redis, and takes
// the smart host down and up. At the end: every message that got 250 was
// delivered, duplicates within what was in flight at the faults, no body or
// job left in Redis, and the RSS of the sender that is never killed flat after
// warm-up. Prints a summary; exits 1 when a check fails.
//
//   npm run soak -- --duration 3m                  (the CI mode)
//   npm run soak -- --duration 1h --fault-every 1m
//   npm run soak -- --rate 200                     (else half the rate measured in a 10 s burst)
import { parseArgs } from 'node:util';
import { parseDuration } from '@smtp-relay/config';
import {
  getFreePort,
  redisCli,
  startFakeSmartHost,
  startRedisServer,
  waitFor,
} from '@smtp-relay/testkit';
import { openRawSession } from './raw-client.ts';
import { relayService, type RelayService } from './soak/relay-service.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '3m' },
    'fault-every': { type: 'string', default: '20s' },
    rate: { type: 'string' },
    senders: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '8' },
  },
});
const durationMs = parseDuration(values.duration);
const faultEveryMs = parseDuration(values['fault-every']);
const senderCount = Math.max(2, Number(values.senders));
const concurrency = Number(values.concurrency);
const SENDER_CONCURRENCY = 10;
const PREFIX = 'soak';

const redis = await startRedisServer({ appendOnly: true });
const smartHost = await startFakeSmartHost({ tls: 'none' });
const smtpPort = await getFreePort();
const env: Record<string, string> = {
  PATH: process.env['PATH'] ?? '',
  NODE_OPTIONS: '--max-semi-space-size=4',
  REDIS_URL: redis.url,
  QUEUE_PREFIX: PREFIX,
  LOG_LEVEL: 'error',
  SMTP_HOST: '127.0.0.1',
  SMTP_PORT: String(smtpPort),
  SMTP_HOSTNAME: 'relay.soak.test',
  SMTP_RELAY_NETWORKS: '127.0.0.0/8',
  SMTP_MAX_CLIENTS_PER_IP: '1000',
  SMART_HOST: '127.0.0.1',
  SMART_HOST_PORT: String(smartHost.port),
  SMART_HOST_TLS: 'none',
  // The smart host's outages are short: try again soon.
  RETRY_DELAYS: '1s,2s,5s',
  SMART_HOST_COOLDOWN: '1s',
  SENDER_CONCURRENCY: String(SENDER_CONCURRENCY),
};
const ingress = relayService('ingress', 'ingress', env);
const senders = Array.from({ length: senderCount }, (_, index) =>
  relayService(`sender-${String(index)}`, 'sender', env),
);
const services: RelayService[] = [ingress, ...senders];

// Delivered subjects, counted; the fake smart host's records are harvested
// every second so that a long run does not keep every message in memory.
const deliveries = new Map<string, number>();
const harvest = (): void => {
  for (const message of smartHost.messages) {
    const subject = /^Subject: (\S+)/m.exec(message.data.toString('latin1'))?.[1] ?? '?';
    deliveries.set(subject, (deliveries.get(subject) ?? 0) + 1);
  }
  smartHost.reset();
};
const harvester = setInterval(harvest, 1000);

// Load: `concurrency` devices, one connection per message, paced to `rate`.
const accepted = new Set<string>();
const refusals = new Map<string, number>();
let sequence = 0;
let loadRate = Number.POSITIVE_INFINITY;
let loadStartedAt = 0;
let sentSinceStart = 0;
// An object, not a `let`: the devices read it between awaits.
const load = { stopping: false };
const isStopping = (): boolean => load.stopping;
const sendOne = async (): Promise<void> => {
  const subject = `soak-${String(sequence++)}`;
  const message = Buffer.from(
    `From: device@lan.test\r\nTo: boss@example.test\r\nSubject: ${subject}\r\n\r\n${'x'.repeat(2000)}\r\n`,
  );
  try {
    const session = await openRawSession({ port: smtpPort, heloName: 'device.lan' });
    await session.send('device@lan.test', 'boss@example.test', message);
    accepted.add(subject);
    await session.quit().catch(() => undefined);
  } catch (error) {
    const reason =
      /\b[45]\d\d\b/.exec((error as Error).message)?.[0] ??
      (error as NodeJS.ErrnoException).code ??
      'error';
    refusals.set(reason, (refusals.get(reason) ?? 0) + 1);
    // A device waits a moment before it sends again.
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
};
const device = async (): Promise<void> => {
  while (!load.stopping) {
    if (Number.isFinite(loadRate)) {
      const dueAt = loadStartedAt + (sentSinceStart / loadRate) * 1000;
      sentSinceStart++;
      const wait = dueAt - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      if (isStopping()) break;
    }
    await sendOne();
  }
};

// Memory samples: Redis (used memory, bodies) and each service's RSS, by time.
interface Sample {
  readonly at: number;
  readonly rss: Record<string, number>;
}
const samples: Sample[] = [];
const sampler = setInterval(() => {
  void (async () => {
    const rss: Record<string, number> = {};
    for (const service of services) rss[service.name] = await service.rssMb();
    samples.push({ at: Date.now(), rss });
  })();
}, 2000);

const log = (text: string): void => {
  console.log(`[${((Date.now() - runStartedAt) / 1000).toFixed(0).padStart(5)} s] ${text}`);
};
const runStartedAt = Date.now();
const faults = new Map<string, number>();
let exitCode = 0;
const fail = (text: string): void => {
  console.log(`FAIL: ${text}`);
  exitCode = 1;
};

try {
  for (const service of services) await service.start();
  const redisBaseline = Number(
    /used_memory:(\d+)/.exec(await redisCli(redis.port, ['INFO', 'memory']))?.[1],
  );
  log(
    `ingress and ${String(senderCount)} senders ready; Redis uses ${(redisBaseline / 1048576).toFixed(1)} MB`,
  );

  // Calibration: the maximum rate, as fast as the devices can go, for 10 s.
  let devices = Array.from({ length: concurrency }, device);
  if (values.rate === undefined) {
    const before = accepted.size;
    const burstStart = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const measured = ((accepted.size - before) * 1000) / (Date.now() - burstStart);
    loadRate = Math.max(1, measured / 2);
    log(
      `measured ${measured.toFixed(0)} msg/s at most; steady load at ${loadRate.toFixed(0)} msg/s`,
    );
  } else {
    loadRate = Number(values.rate);
    log(`steady load at ${loadRate.toFixed(0)} msg/s`);
  }
  load.stopping = true;
  await Promise.all(devices);
  load.stopping = false;
  loadStartedAt = Date.now();
  sentSinceStart = 0;
  devices = Array.from({ length: concurrency }, device);

  // The fault loop, one fault at a time, each waited out before the next.
  const warmUpEndsAt = Date.now() + Math.min(30_000, durationMs / 5);
  const endsAt = runStartedAt + durationMs;
  const rotation = ['sender', 'ingress', 'redis', 'smart-host'] as const;
  // Sender 0 is never killed: its RSS is the one followed over the whole run.
  const victim = senders[senders.length - 1];
  for (let turn = 0; Date.now() + faultEveryMs < endsAt; turn++) {
    await new Promise((resolve) => setTimeout(resolve, faultEveryMs));
    const fault = rotation[turn % rotation.length] ?? 'sender';
    faults.set(fault, (faults.get(fault) ?? 0) + 1);
    switch (fault) {
      case 'sender':
        await victim?.kill();
        await new Promise((resolve) => setTimeout(resolve, 1000));
        await victim?.start();
        break;
      case 'ingress':
        await ingress.kill();
        await new Promise((resolve) => setTimeout(resolve, 1000));
        await ingress.start();
        break;
      case 'redis':
        await redis.kill();
        await new Promise((resolve) => setTimeout(resolve, 2000));
        await redis.restart();
        for (const service of services) await service.waitReady(120_000);
        break;
      case 'smart-host':
        await smartHost.stop();
        await new Promise((resolve) => setTimeout(resolve, 5000));
        await smartHost.start();
        break;
    }
    log(`${fault} killed (or down) and back; ${String(accepted.size)} accepted so far`);
  }
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, endsAt - Date.now())));
  load.stopping = true;
  await Promise.all(devices);
  log(`load stopped: ${String(accepted.size)} messages got 250`);

  // Every 250 delivered.
  await waitFor(
    () => {
      harvest();
      return [...accepted].every((subject) => deliveries.has(subject));
    },
    { timeoutMs: 180_000, intervalMs: 500, description: 'every accepted message delivered' },
  ).catch(() => undefined);
  harvest();
  const missing = [...accepted].filter((subject) => !deliveries.has(subject));
  if (missing.length > 0)
    fail(
      `${String(missing.length)} messages got 250 but were not delivered, e.g. ${missing.slice(0, 5).join(', ')}`,
    );
  const duplicated = [...deliveries.values()].filter((count) => count > 1).length;
  const interruptions =
    (faults.get('sender') ?? 0) + (faults.get('redis') ?? 0) + (faults.get('smart-host') ?? 0);
  const duplicateBound = interruptions * SENDER_CONCURRENCY * senderCount;
  if (duplicated > duplicateBound)
    fail(
      `${String(duplicated)} delivered twice, more than the ${String(duplicateBound)} that can be in flight at the faults`,
    );

  // Redis back to its baseline: no body and no unfinished job left. A body
  // without a job is an orphan: a message refused with 451 while Redis was
  // going down, whose removal could not be sent. The senders' orphan sweep
  // takes those hours later; any other body left is a leak.
  const bodyKeys = async (): Promise<string[]> =>
    (await redisCli(redis.port, ['KEYS', `${PREFIX}:body:*`])).split('\n').filter(Boolean);
  const jobOf = async (key: string): Promise<boolean> =>
    (await redisCli(redis.port, [
      'EXISTS',
      `${PREFIX}:delivery:${key.slice(`${PREFIX}:body:`.length)}`,
    ])) === '1';
  let leaked: string[] = [];
  await waitFor(
    async () => {
      leaked = [];
      for (const key of await bodyKeys()) if (await jobOf(key)) leaked.push(key);
      return leaked.length === 0;
    },
    { timeoutMs: 30_000, description: 'no body with a job left' },
  ).catch(() => undefined);
  const orphans = (await bodyKeys()).length - leaked.length;
  const refused = [...refusals.values()].reduce((sum, n) => sum + n, 0);
  if (leaked.length > 0)
    fail(`${String(leaked.length)} bodies of unfinished messages left in Redis`);
  if (orphans > refused)
    fail(`${String(orphans)} orphan bodies, more than the ${String(refused)} refusals`);
  const unfinished = await Promise.all(
    ['wait', 'active', 'paused'].map(async (list) =>
      Number(await redisCli(redis.port, ['LLEN', `${PREFIX}:delivery:${list}`])),
    ),
  );
  const delayed = Number(await redisCli(redis.port, ['ZCARD', `${PREFIX}:delivery:delayed`]));
  if (unfinished.some((n) => n > 0) || delayed > 0)
    fail(`jobs left: wait/active/paused ${unfinished.join('/')}, delayed ${String(delayed)}`);
  const redisEnd = Number(
    /used_memory:(\d+)/.exec(await redisCli(redis.port, ['INFO', 'memory']))?.[1],
  );

  // RSS of the sender that ran throughout: flat after warm-up.
  const steady = samples.filter((sample) => sample.at >= warmUpEndsAt);
  const stable = senders[0]?.name ?? 'sender-0';
  const series = steady.map((sample) => sample.rss[stable] ?? 0).filter((mb) => mb > 0);
  const third = Math.max(1, Math.floor(series.length / 3));
  const median = (list: number[]): number =>
    [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? 0;
  const early = median(series.slice(0, third));
  const late = median(series.slice(-third));
  if (late > early * 1.3 + 10)
    fail(`${stable} RSS grew from ${early.toFixed(0)} to ${late.toFixed(0)} MB after warm-up`);

  console.log('\n== soak summary');
  console.log(
    `duration ${values.duration}, load ${loadRate.toFixed(0)} msg/s, ${String(concurrency)} devices, ${String(senderCount)} senders x ${String(SENDER_CONCURRENCY)}`,
  );
  console.log(`faults: ${[...faults].map(([kind, n]) => `${kind} ${String(n)}`).join(', ')}`);
  console.log(
    `messages: ${String(accepted.size)} got 250, ${String(accepted.size - missing.length)} delivered, ${String(duplicated)} delivered twice (bound ${String(duplicateBound)})`,
  );
  console.log(
    `refused while faults ran: ${[...refusals].map(([reason, n]) => `${reason} ${String(n)}`).join(', ') || 'none'}`,
  );
  console.log(
    `Redis: ${(redisBaseline / 1048576).toFixed(1)} MB at start, ${(redisEnd / 1048576).toFixed(1)} MB at the end (finished jobs are kept a day, delivered messages' metadata HISTORY_RETENTION); bodies left: ${String(leaked.length)} of unfinished messages, ${String(orphans)} orphans of refused ones for the sweep`,
  );
  console.log(
    `${stable} RSS after warm-up: ${early.toFixed(0)} MB early, ${late.toFixed(0)} MB late; restarts: ${services.map((s) => `${s.name} ${String(s.starts - 1)}`).join(', ')}`,
  );
  console.log(exitCode === 0 ? 'soak: every check passed' : 'soak: FAILED');
} catch (error) {
  fail(String((error as Error).stack ?? error));
} finally {
  load.stopping = true;
  clearInterval(harvester);
  clearInterval(sampler);
  for (const service of services) await service.stop().catch(() => undefined);
  await smartHost.close();
  await redis.cleanup();
}
process.exit(exitCode);
