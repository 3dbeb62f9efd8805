// `npm run bench`: N messages at concurrency C through the real processes
// (ingress and sender as separate processes, or the all-in-one process; a
// private redis-server; a counting sink as smart host), all on loopback. Prints
// accepted and delivered msg/s, CPU per message of each process (the load
// generator's and the sink's too, and how busy the machine's CPUs were), Redis
// commands and round trips per message, and peak and final RSS and PSS of each
// process. On a small machine that also runs other work, msg/s is noisy and
// often CPU-bound; CPU, Redis commands and memory per message are the figures
// to compare between changes.
//
//   npm run bench -- --messages 5000 --concurrency 10 --size 4k --fsync everysec
//   npm run bench -- --reuse 0                  one connection per message (printers, most apps)
//   npm run bench -- --auth 1                   AUTH PLAIN on every connection
//   npm run bench -- --aio 1                    the all-in-one process (npm start)
//   npm run bench -- --messages 10 --concurrency 10 --size 20m     (memory per large message)
//   npm run bench -- --senders 2 --smart-host-delay 100ms --prefill 1 --sender-concurrency 10
//   npm run bench -- --scenario scale-out       1 vs 2 senders against a 100 ms smart host
//   npm run bench -- --all                      the issue 11 rows, one summary table
//   npm run bench -- --client nodemailer        nodemailer's transport as the client (default: raw)
//   npm run bench -- --profile DIR              V8 CPU profiles of the relay's processes
//   npm run bench -- --compiled 1               the compiled main.js, as in the image (in a
//                                               copy made by scripts/containers/compile-image.ts)
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { parseDuration, parseSize } from '@smtp-relay/config';
import { redisCommandsPerMessage } from './redis-usage.ts';
import { runBench, type BenchOptions, type BenchResult } from './run.ts';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '10' },
    size: { type: 'string', default: '4k' },
    fsync: { type: 'string', default: 'everysec' },
    'sender-concurrency': { type: 'string', default: '50' },
    /** 0: one connection per message (printers, scanners, most apps). */
    reuse: { type: 'string', default: '1' },
    /** 1: AUTH PLAIN on every connection. */
    auth: { type: 'string', default: '0' },
    /** 1: the all-in-one process instead of ingress + sender. */
    aio: { type: 'string', default: '0' },
    senders: { type: 'string', default: '1' },
    'smart-host-delay': { type: 'string', default: '0ms' },
    /** 1: accept everything first, then start the senders (delivery measured alone). */
    prefill: { type: 'string', default: '0' },
    /**
     * raw (default): a minimal SMTP client, about a third of nodemailer's CPU per
     * message, which matters when generator and relay share two CPUs; nodemailer:
     * its transport (pooled when reusing), as earlier figures were measured.
     */
    client: { type: 'string' },
    /** single (default), scale-out or all */
    scenario: { type: 'string', default: 'single' },
    all: { type: 'boolean', default: false },
    /** Write V8 CPU profiles of the relay's processes into this directory. */
    profile: { type: 'string' },
    /** 1: start the compiled main.js twins, as the image does (a compiled copy). */
    compiled: { type: 'string', default: '0' },
  },
});

const flag = (name: string, value: string): boolean => {
  if (value !== '0' && value !== '1') throw new Error(`--${name} takes 0 or 1`);
  return value === '1';
};
const fsync = values.fsync;
if (fsync !== 'always' && fsync !== 'everysec' && fsync !== 'off')
  throw new Error('--fsync takes always, everysec or off');
const reuse = flag('reuse', values.reuse);
const client = values.client ?? 'raw';
if (client !== 'raw' && client !== 'nodemailer')
  throw new Error('--client takes raw or nodemailer');
const base: BenchOptions = {
  messages: Number(values.messages),
  concurrency: Number(values.concurrency),
  size: parseSize(values.size),
  fsync,
  senderConcurrency: Number(values['sender-concurrency']),
  reuse,
  auth: flag('auth', values.auth),
  aio: flag('aio', values.aio),
  senders: Number(values.senders),
  smartHostDelayMs: parseDuration(values['smart-host-delay']),
  prefill: flag('prefill', values.prefill),
  client,
  profile: values.profile,
  compiled: flag('compiled', values.compiled),
};

const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(0);
/** msg/s with two significant decimals when small (20 MiB messages go at a few a second). */
const rate = (count: number, seconds: number): string => {
  const perSecond = count / seconds;
  return perSecond < 10 ? perSecond.toFixed(2) : perSecond.toFixed(0);
};
const sizeLabel = (bytes: number): string =>
  bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0
    ? `${String(bytes / 1024 / 1024)} MiB`
    : `${String(Math.round(bytes / 1024))} KiB`;

function describe(options: BenchOptions): string {
  return (
    `${String(options.messages)} messages of ${sizeLabel(options.size)} at concurrency ${String(options.concurrency)}, ` +
    `${options.reuse ? 'connections reused' : 'one connection per message'} (${options.client} client)` +
    `${options.auth ? ', AUTH PLAIN' : ''}, ` +
    (options.aio
      ? 'all-in-one process'
      : `ingress + ${String(options.senders)} sender${options.senders > 1 ? 's' : ''}`) +
    ` (SENDER_CONCURRENCY ${String(options.senderConcurrency)})` +
    (options.smartHostDelayMs > 0
      ? `, smart host ${String(options.smartHostDelayMs)} ms per message`
      : '') +
    `${options.prefill ? ', queue filled before the senders start' : ''}, ` +
    `Redis AOF ${options.fsync === 'off' ? 'off' : `appendfsync ${options.fsync}`}`
  );
}

function printResult(options: BenchOptions, result: BenchResult): void {
  const { messages } = options;
  const refused =
    result.load.failed > 0
      ? `, ${String(result.load.failed)} refused: ${result.load.errors.join(' | ')}`
      : ', 0 refused';
  console.log(
    `accepted:  ${rate(messages, result.acceptedSeconds)} msg/s (${result.acceptedSeconds.toFixed(2)} s${refused})`,
  );
  console.log(
    `delivered: ${rate(result.delivered, result.deliveredSeconds)} msg/s (${result.deliveredSeconds.toFixed(2)} s, ` +
      `${String(result.delivered)} messages${options.prefill ? ', first to last delivery' : ''})` +
      (result.delivered >= 100
        ? `; steady ${rate(result.steadyPerSecond, 1)} msg/s (10%-90% of deliveries)`
        : ''),
  );
  if (options.smartHostDelayMs > 0) {
    // Each message the smart host holds is one delivery slot of a sender; a slot
    // turns over every slots / rate seconds, of which the smart host's delay is the
    // part the relay cannot cut (the rest: Redis round trips, CPU, waiting for CPU).
    const cycleMs = (result.peakInData / result.steadyPerSecond) * 1000;
    console.log(
      `smart host: at most ${String(result.peakInData)} messages waiting for its 250 and ` +
        `${String(result.peakConnections)} connections at once; each delivery slot turns over in ` +
        `${cycleMs.toFixed(0)} ms (${String(options.smartHostDelayMs)} ms at the smart host + ` +
        `${(cycleMs - options.smartHostDelayMs).toFixed(0)} ms in the relay)`,
    );
  } else {
    console.log(`smart host: at most ${String(result.peakConnections)} connections at once`);
  }
  const perMessage = (seconds: number | undefined): string =>
    `${(((seconds ?? 0) * 1000) / messages).toFixed(2)} ms`;
  const cpuLine = [...result.cpu]
    .map(
      ([role, seconds]) =>
        `${role} ${perMessage(seconds)} (${perMessage(result.cpuWithStartup.get(role))})`,
    )
    .join(', ');
  console.log(
    `CPU/msg:   ${cpuLine}; load generator ${perMessage(result.generatorCpuSeconds)}   (in brackets: start-up included)`,
  );
  console.log(
    `machine:   ${(result.machineBusy * 100).toFixed(0)}% of ${String(availableParallelism())} CPUs busy (every process on the machine, other work included)`,
  );
  const usage = result.redis;
  console.log(
    `Redis/msg: ${(usage.totalCommands / messages).toFixed(1)} commands, ${(usage.reads / messages).toFixed(1)} round trips, ` +
      `${((usage.cpuSeconds * 1000) / messages).toFixed(3)} ms CPU (Redis's own counters)`,
  );
  console.log(`           ${redisCommandsPerMessage(usage, messages)}`);
  const memory = result.memory;
  const row = (label: string, peak: { rss: number; pss: number }, endPss: number): string =>
    `           ${label.padEnd(28)} ${mib(peak.rss).padStart(5)} ${mib(peak.pss).padStart(5)} ${mib(endPss).padStart(5)}`;
  console.log('memory:    MiB                          pkRSS pkPSS endPSS');
  for (const [role, peak] of memory.peak) {
    const label =
      role === 'sender' && options.senders > 1 ? `sender (${String(options.senders)})` : role;
    console.log(row(label, peak, memory.last.get(role)?.pss ?? 0));
  }
  const endPss = (roles: readonly string[]): number =>
    roles.reduce((sum, role) => sum + (memory.last.get(role)?.pss ?? 0), 0);
  if (result.relayRoles.length > 1) {
    console.log(
      row(
        result.relayRoles.join(' + '),
        memory.peakOf(result.relayRoles),
        endPss(result.relayRoles),
      ),
    );
  }
  const all = [...result.relayRoles, 'redis'];
  console.log(row(all.join(' + '), memory.peakOf(all), endPss(all)));
}

interface Row {
  readonly name: string;
  readonly options: BenchOptions;
  readonly result: BenchResult;
}

async function run(name: string, options: BenchOptions): Promise<Row> {
  console.log(`\n== ${name}: ${describe(options)}, node ${process.version}`);
  const result = await runBench(options);
  printResult(options, result);
  return { name, options, result };
}

function printSummary(rows: readonly Row[]): void {
  const header = [
    'scenario',
    'acc msg/s',
    'dlv msg/s',
    'steady',
    'CPU ms/msg relay',
    'Redis ms/msg',
    'gen ms/msg',
    'CPUs busy',
    'cmds/msg',
    'RT/msg',
    'pk RSS relay',
    'pk PSS relay',
    'pk PSS +Redis',
    'refused',
  ];
  const lines = rows.map(({ name, options, result }) => {
    const m = options.messages;
    const relayCpu = result.relayRoles.reduce((sum, role) => sum + (result.cpu.get(role) ?? 0), 0);
    const all = [...result.relayRoles, 'redis'];
    return [
      name,
      rate(m, result.acceptedSeconds),
      rate(result.delivered, result.deliveredSeconds),
      result.delivered >= 100 ? rate(result.steadyPerSecond, 1) : '-',
      ((relayCpu * 1000) / m).toFixed(2),
      ((result.redis.cpuSeconds * 1000) / m).toFixed(3),
      ((result.generatorCpuSeconds * 1000) / m).toFixed(2),
      `${(result.machineBusy * 100).toFixed(0)}%`,
      (result.redis.totalCommands / m).toFixed(1),
      (result.redis.reads / m).toFixed(1),
      `${mib(result.memory.peakOf(result.relayRoles).rss)} MiB`,
      `${mib(result.memory.peakOf(result.relayRoles).pss)} MiB`,
      `${mib(result.memory.peakOf(all).pss)} MiB`,
      String(result.load.failed),
    ];
  });
  console.log('\n== summary (relay = ingress + sender(s), or the all-in-one process)');
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
  for (const line of lines) console.log(`| ${line.join(' | ')} |`);
}

async function scaleOut(options: BenchOptions): Promise<Row[]> {
  const rows: Row[] = [];
  for (const senders of [1, 2]) {
    rows.push(
      await run(`scale-out, ${String(senders)} sender${senders > 1 ? 's' : ''}`, {
        ...options,
        senders,
      }),
    );
  }
  const ratio = (perSecond: (result: BenchResult) => number): string => {
    const [one, two] = rows.map(({ result }) => perSecond(result));
    return `${((two ?? 0) / (one ?? 1)).toFixed(2)}x (${(one ?? 0).toFixed(0)} -> ${(two ?? 0).toFixed(0)} msg/s)`;
  };
  console.log(
    `\nscale-out: 2 senders deliver ${ratio((r) => r.delivered / r.deliveredSeconds)} first to last, ` +
      `${ratio((r) => r.steadyPerSecond)} steady; goal >= 1.8x`,
  );
  return rows;
}

/** Whether an option was on the command line (not its default). */
const given = (name: string): boolean =>
  process.argv.some((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`));

// Scale-out: one sender can have SENDER_CONCURRENCY messages at the smart host, so
// with 100 ms each it tops out at 10 x concurrency msg/s. 10 per sender keeps both
// runs far below what ingress, Redis and two CPUs can carry, so the ratio shows
// whether senders get in each other's way, not the machine's limit.
const scaleOutDefaults = (messages: number): BenchOptions => ({
  ...base,
  messages,
  senderConcurrency: given('sender-concurrency') ? base.senderConcurrency : 10,
  smartHostDelayMs: base.smartHostDelayMs > 0 ? base.smartHostDelayMs : 100,
  prefill: true,
});

const scenario = values.all ? 'all' : values.scenario;

let rows: Row[];
if (scenario === 'single') {
  rows = [await run('run', base)];
} else if (scenario === 'scale-out') {
  rows = await scaleOut(scaleOutDefaults(given('messages') ? base.messages : 2000));
} else if (scenario === 'all') {
  // Modest N: each row takes seconds to a minute on a small machine.
  const n = given('messages') ? base.messages : 1000;
  const plain: BenchOptions = {
    ...base,
    messages: n,
    concurrency: 10,
    size: 4096,
    reuse: true,
    auth: false,
    aio: false,
    senders: 1,
    smartHostDelayMs: 0,
    prefill: false,
  };
  rows = [
    await run('4 KiB, one connection per message, c=10', { ...plain, reuse: false }),
    await run('4 KiB, reused, c=10', plain),
    await run('4 KiB, AUTH PLAIN, reused, c=10', { ...plain, auth: true }),
    await run('100 KiB, reused, c=10', { ...plain, size: 100 * 1024, messages: Math.ceil(n / 2) }),
    await run('4 KiB, all-in-one, c=10', { ...plain, aio: true }),
    await run('20 MiB x 10, c=10', { ...plain, size: 20 * 1024 * 1024, messages: 10 }),
    ...(await scaleOut({ ...scaleOutDefaults(2 * n), concurrency: 10, size: 4096 })),
  ];
} else {
  throw new Error('--scenario takes single, scale-out or all');
}
if (rows.length > 1) printSummary(rows);
process.exit(rows.some(({ result }) => result.load.failed > 0) ? 1 : 0);
