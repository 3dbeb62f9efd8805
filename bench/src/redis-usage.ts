import { Redis } from 'ioredis';

/** What the relay asked of Redis over a stretch of the run, from Redis's own counters. */
export interface RedisUsage {
  /** Commands executed, by name (a MULTI's and a script's own calls included). */
  readonly commands: ReadonlyMap<string, number>;
  readonly totalCommands: number;
  /**
   * Read events Redis processed: one per batch of bytes a client sent and Redis
   * read at once, so about one per round trip (a pipeline is one).
   */
  readonly reads: number;
  /** Redis's own CPU seconds (user + system) in the stretch. */
  readonly cpuSeconds: number;
}

/** Starts counting: resets Redis's command statistics; `stop` reads them back. */
export async function watchRedisUsage(url: string): Promise<{ stop(): Promise<RedisUsage> }> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const stats = async (): Promise<{ reads: number; cpu: number }> => {
    const info = field(await redis.info('stats'));
    const cpu = field(await redis.info('cpu'));
    return {
      reads: Number(info.get('total_reads_processed')),
      cpu: Number(cpu.get('used_cpu_user')) + Number(cpu.get('used_cpu_sys')),
    };
  };
  await redis.config('RESETSTAT');
  const before = await stats();
  return {
    async stop() {
      // Our own INFO calls are taken out below (two reads, three commands here).
      const after = await stats();
      const commands = new Map<string, number>();
      for (const [name, value] of field(await redis.info('commandstats'))) {
        const calls = /calls=(\d+)/.exec(value)?.[1];
        if (calls !== undefined) commands.set(name.replace(/^cmdstat_/, ''), Number(calls));
      }
      commands.set('info', Math.max(0, (commands.get('info') ?? 0) - 5));
      commands.set('config|resetstat', 0);
      redis.disconnect();
      const totalCommands = [...commands.values()].reduce((sum, calls) => sum + calls, 0);
      return {
        commands,
        totalCommands,
        reads: after.reads - before.reads - 2,
        cpuSeconds: after.cpu - before.cpu,
      };
    },
  };
}

function field(info: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of info.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

/** `evalsha 3.0, hset 1.0, ...`: the commands per message, most first. */
export function redisCommandsPerMessage(usage: RedisUsage, messages: number, top = 40): string {
  return [...usage.commands]
    .filter(([, calls]) => calls > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, calls]) => `${name} ${(calls / messages).toFixed(2)}`)
    .join(', ');
}
