// One benchmark run: a private redis-server, the counting sink as smart host,
// the relay's processes (ingress + N senders, or the all-in-one process) and
// the load generator, all on loopback; everything is stopped again before it
// resolves, so runs can follow each other in one `npm run bench`.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { getFreePort, startRedisServer, waitFor } from '@smtp-relay/testkit';
import { generateLoad, type LoadResult } from './load.ts';
import { sampleMemory, type MemoryReport } from './memory-sampler.ts';
import { watchRedisUsage, type RedisUsage } from './redis-usage.ts';

export interface BenchOptions {
  readonly messages: number;
  readonly concurrency: number;
  /** bytes */
  readonly size: number;
  readonly fsync: 'always' | 'everysec' | 'off';
  readonly senderConcurrency: number;
  /** false: one connection per message */
  readonly reuse: boolean;
  /** AUTH PLAIN on every connection (SMTP_RELAY_NETWORKS empty, so it is needed) */
  readonly auth: boolean;
  /** the all-in-one process (npm start) instead of ingress + senders */
  readonly aio: boolean;
  readonly senders: number;
  /** the sink waits this long before its 250 after each DATA */
  readonly smartHostDelayMs: number;
  /**
   * Accept every message first, then start the senders: delivery is measured from
   * the first to the last delivery, without ingress and the load generator competing.
   */
  readonly prefill: boolean;
  readonly client: 'raw' | 'nodemailer';
  /** write V8 CPU profiles of the relay's processes here */
  readonly profile?: string | undefined;
  /**
   * Start the services from their compiled `main.js` twins, as the image does (a
   * tree made by scripts/containers/compile-image.ts); default: the `.ts` sources.
   */
  readonly compiled?: boolean | undefined;
}

export interface BenchResult {
  readonly load: LoadResult;
  readonly acceptedSeconds: number;
  readonly delivered: number;
  readonly deliveredSeconds: number;
  /**
   * Deliveries per second between the 10th and the 90th percent of them: the steady
   * rate, without start-up (senders not yet all running) and the draining tail.
   */
  readonly steadyPerSecond: number;
  /** At the sink: most messages waiting for its 250 at once, most connections open at once. */
  readonly peakInData: number;
  readonly peakConnections: number;
  /** CPU seconds from the start of the load to the last delivery, by role (and the sink's) */
  readonly cpu: ReadonlyMap<string, number>;
  /** the same including each process's start-up */
  readonly cpuWithStartup: ReadonlyMap<string, number>;
  /**
   * Share of all the machine's CPUs busy (anyone's processes) from the start of the
   * load to the last delivery: near 1 means the figures are CPU-bound, and other
   * work on the machine counts too.
   */
  readonly machineBusy: number;
  /** the load generator's own CPU seconds, sampling taken out */
  readonly generatorCpuSeconds: number;
  readonly redis: RedisUsage;
  readonly memory: MemoryReport;
  /** the relay's processes' roles: ['ingress', 'sender'] or ['aio'] */
  readonly relayRoles: readonly string[];
}

const root = fileURLToPath(new URL('../../', import.meta.url));
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) if (child.exitCode === null) child.kill('SIGTERM');
});

/** The service's entry point: the sources, or the image's compiled twin. */
function entryOf(script: string, compiled: boolean): string {
  const source = `${root}services/${script}/src/main.ts`;
  if (!compiled) return source;
  const twin = source.replace(/\.ts$/, '.js');
  if (!existsSync(twin))
    throw new Error(
      `--compiled 1: ${twin} is missing; run scripts/containers/compile-image.ts on a copy of the checkout and bench from there`,
    );
  return twin;
}

const AUTH_USER = 'bench';
const AUTH_PASSWORD = 'bench-password';
// `npx smtp-relay passwd` of AUTH_PASSWORD (argon2id, the default): the relay checks
// it once per connection until the login is remembered, as with a real users file.
const AUTH_HASH =
  '$argon2id$v=19$m=19456,t=2,p=1$NR2jOoF6nr5sEwugHj4Dig$eJRCyKRnUnuGykyM9z8Q3Xngss9mRKXxBxCQEFnSD/8';

/** Busy and total jiffies of all CPUs of the machine (/proc/stat), for how loaded it was. */
async function machineCpu(): Promise<{ busy: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  // idle and iowait
  return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total };
}

/** utime + stime of a process, in seconds (0 once it has exited). */
async function cpuSeconds(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0;
  try {
    const stat = await readFile(`/proc/${String(pid)}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

function track(child: ChildProcess): ChildProcess {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  if (options.aio && options.prefill)
    throw new Error('--prefill needs separate senders, not --aio');
  const redis = await startRedisServer({
    appendOnly: options.fsync !== 'off',
    extraArgs: options.fsync === 'off' ? [] : ['--appendfsync', options.fsync],
  });
  const scratch = await mkdtemp(join(tmpdir(), 'smtp-relay-bench-'));
  const processes: { role: string; child: ChildProcess }[] = [];
  try {
    // The sink: counts what the senders deliver.
    const sink = track(
      spawn(
        process.execPath,
        [`${root}bench/src/sink.ts`, '--delay', String(options.smartHostDelayMs)],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      ),
    );
    processes.push({ role: 'sink', child: sink });
    let delivered = 0;
    let lastDeliveryAt = 0;
    let firstDeliveryAt = 0;
    let peakInData = 0;
    let peakConnections = 0;
    const timeline: [at: number, count: number][] = [];
    const sinkPort = await new Promise<number>((resolve) => {
      createInterface({ input: sink.stdout ?? process.stdin }).on('line', (line) => {
        const [kind, a, b, c, d, e] = line.split(' ');
        if (kind === 'ready') resolve(Number(a));
        if (kind === 'count') {
          delivered = Number(a);
          lastDeliveryAt = Number(b);
          firstDeliveryAt = Number(c);
          peakInData = Number(d);
          peakConnections = Number(e);
          timeline.push([lastDeliveryAt, delivered]);
        }
      });
    });

    const smtpPort = await getFreePort();
    const authFile = join(scratch, 'users');
    if (options.auth) await writeFile(authFile, `${AUTH_USER} ${AUTH_HASH}\n`);
    const env: Record<string, string> = {
      PATH: process.env['PATH'] ?? '',
      REDIS_URL: redis.url,
      QUEUE_PREFIX: 'bench',
      LOG_LEVEL: 'warn',
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtpPort),
      SMTP_HOSTNAME: 'relay.bench.test',
      SMTP_RELAY_NETWORKS: options.auth ? '' : '127.0.0.0/8',
      ...(options.auth ? { SMTP_AUTH_FILE: authFile, SMTP_ALLOW_INSECURE_AUTH: 'true' } : {}),
      SMTP_MAX_CLIENTS: '2000',
      SMTP_MAX_MESSAGE_SIZE: String(Math.max(options.size * 2, 25 * 1024 * 1024)),
      SMART_HOST: '127.0.0.1',
      SMART_HOST_PORT: String(sinkPort),
      SMART_HOST_TLS: 'none',
      SENDER_CONCURRENCY: String(options.senderConcurrency),
      ADMIN_HOST: '127.0.0.1',
      // As the image and the npm start scripts run the services (ADR 006); override to compare.
      NODE_OPTIONS: process.env['BENCH_NODE_OPTIONS'] ?? '--max-semi-space-size=4',
      // glibc allocator settings (MALLOC_ARENA_MAX, MALLOC_MMAP_THRESHOLD_...) and the
      // message history (HISTORY_RETENTION=0 turns it off), to compare.
      ...Object.fromEntries(
        Object.entries(process.env).filter(
          (entry): entry is [string, string] =>
            (entry[0].startsWith('MALLOC_') || entry[0].startsWith('HISTORY_')) &&
            entry[1] !== undefined,
        ),
      ),
    };
    const startService = async (
      role: string,
      script: 'ingress' | 'sender' | 'all-in-one',
    ): Promise<void> => {
      const adminPort = await getFreePort();
      const profile =
        options.profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.profile}`];
      const child = track(
        spawn(process.execPath, [...profile, entryOf(script, options.compiled === true)], {
          env: { ...env, ADMIN_PORT: String(adminPort) },
          stdio: ['ignore', 'inherit', 'inherit'],
        }),
      );
      processes.push({ role, child });
      await waitFor(
        async () =>
          (await fetch(`http://127.0.0.1:${String(adminPort)}/readyz`).catch(() => undefined))
            ?.status === 200,
        { timeoutMs: 30_000, description: `${script} ready` },
      );
    };
    const startSenders = (): Promise<unknown> =>
      Promise.all(Array.from({ length: options.senders }, () => startService('sender', 'sender')));

    const relayRoles = options.aio ? ['aio'] : ['ingress', 'sender'];
    if (options.aio) await startService('aio', 'all-in-one');
    else {
      await startService('ingress', 'ingress');
      if (!options.prefill) await startSenders();
    }
    const pidsOf = (role: string): number[] =>
      processes.flatMap(({ role: r, child }) =>
        r === role && child.pid !== undefined ? [child.pid] : [],
      );
    const memory = sampleMemory(
      () =>
        new Map([
          ...relayRoles.map((role): [string, number[]] => [role, pidsOf(role)]),
          ['redis', redis.pid === undefined ? [] : [redis.pid]],
        ]),
    );
    // CPU of the sink too: on a small machine it competes with the relay.
    const roles = [...relayRoles, 'redis', 'sink'];
    const cpuOf = async (role: string): Promise<number> =>
      role === 'redis'
        ? cpuSeconds(redis.pid)
        : (await Promise.all(pidsOf(role).map(cpuSeconds))).reduce((sum, s) => sum + s, 0);
    const cpuBefore = new Map<string, number>();
    for (const role of roles) cpuBefore.set(role, await cpuOf(role));

    const redisUsage = await watchRedisUsage(redis.url);
    const machineBefore = await machineCpu();
    const started = Date.now();
    const samplerBefore = memory.cpuSeconds();
    const load = await generateLoad({
      port: smtpPort,
      messages: options.messages,
      concurrency: options.concurrency,
      size: options.size,
      reuseConnections: options.reuse,
      auth: options.auth ? { user: AUTH_USER, pass: AUTH_PASSWORD } : undefined,
      client: options.client,
    });
    const generatorCpuSeconds = load.cpuSeconds - (memory.cpuSeconds() - samplerBefore);
    if (options.prefill) {
      // Senders start now: their CPU is counted from here, start-up excluded.
      await startSenders();
      cpuBefore.set('sender', 0);
      for (const pid of pidsOf('sender')) {
        cpuBefore.set('sender', (cpuBefore.get('sender') ?? 0) + (await cpuSeconds(pid)));
      }
    }
    const expected = options.messages - load.failed;
    await waitFor(() => delivered >= expected, {
      timeoutMs: 900_000,
      intervalMs: 20,
      description: `${String(expected)} deliveries (have ${String(delivered)})`,
    });
    const usage = await redisUsage.stop();
    const machineAfter = await machineCpu();
    const cpuWithStartup = new Map<string, number>();
    const cpu = new Map<string, number>();
    for (const role of roles) {
      const total = await cpuOf(role);
      cpuWithStartup.set(role, total);
      cpu.set(role, total - (cpuBefore.get(role) ?? 0));
    }
    const report = memory.stop();
    const at = (share: number): [number, number] =>
      timeline.find(([, count]) => count >= share * delivered) ?? [lastDeliveryAt, delivered];
    const [from, fromCount] = at(0.1);
    const [to, toCount] = at(0.9);
    return {
      steadyPerSecond: to > from ? ((toCount - fromCount) * 1000) / (to - from) : 0,
      peakInData,
      peakConnections,
      machineBusy:
        (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total || 1),
      load,
      acceptedSeconds: (load.endedAt - started) / 1000,
      delivered,
      deliveredSeconds: (lastDeliveryAt - (options.prefill ? firstDeliveryAt : started)) / 1000,
      cpu,
      cpuWithStartup,
      generatorCpuSeconds,
      redis: usage,
      memory: report,
      relayRoles,
    };
  } finally {
    await Promise.all(processes.map(({ child }) => stop(child)));
    await redis.cleanup();
    await rm(scratch, { recursive: true, force: true });
  }
}
