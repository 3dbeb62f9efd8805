import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { hasExited, killOnProcessExit, signalAndWaitForExit } from './child-processes.ts';
import { getFreePort } from './free-port.ts';
import { pingRedis } from './redis-ping.ts';
import { startRedisServer, type RedisServerHandle } from './redis-server.ts';
import { waitFor } from './wait-for.ts';

const run = promisify(execFile);

/** One command through redis-cli (installed with redis-server); its output, trimmed. */
export async function redisCli(port: number, args: readonly string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {
    timeout: 5000,
  });
  return stdout.trim();
}

export interface SentinelGroupOptions {
  /** Sentinels watching the primary (default 3, quorum 2). */
  readonly sentinels?: number;
  /** The name they monitor it under (default mymaster). */
  readonly master?: string;
  /** Sentinel's down-after-milliseconds (default 1000): how soon a dead primary is noticed. */
  readonly downAfterMs?: number;
}

export interface SentinelGroup {
  /** Whoever was started as primary and replica; after a failover the roles swap. */
  readonly servers: readonly [RedisServerHandle, RedisServerHandle];
  readonly master: string;
  /** `127.0.0.1:port,...`, as REDIS_SENTINELS takes it. */
  readonly sentinelList: string;
  readonly sentinelPorts: readonly number[];
  /** The port the sentinels name as primary now. */
  primaryPort(): Promise<number>;
  /** Resolves once the sentinels name another primary than `oldPort`. */
  waitForFailover(oldPort: number, timeoutMs?: number): Promise<number>;
  /** Resolves once the primary has `count` replicas online. */
  waitForReplicas(count: number, timeoutMs?: number): Promise<void>;
  /** SIGSTOP to sentinel `index`: it takes connections but answers nothing. */
  pauseSentinel(index: number): void;
  /** SIGCONT after pauseSentinel(). */
  resumeSentinel(index: number): void;
  cleanup(): Promise<void>;
}

async function startSentinel(
  dir: string,
  index: number,
  master: string,
  primaryPort: number,
  downAfterMs: number,
): Promise<{ port: number; child: ChildProcess }> {
  const port = await getFreePort();
  const config = join(dir, `sentinel-${String(index)}.conf`);
  // Sentinel rewrites its own file (the replicas and sentinels it found).
  await writeFile(
    config,
    [
      `port ${String(port)}`,
      'bind 127.0.0.1',
      'protected-mode no',
      `dir ${dir}`,
      `logfile ${join(dir, `sentinel-${String(index)}.log`)}`,
      `sentinel monitor ${master} 127.0.0.1 ${String(primaryPort)} 2`,
      `sentinel down-after-milliseconds ${master} ${String(downAfterMs)}`,
      `sentinel failover-timeout ${master} 10000`,
      `sentinel parallel-syncs ${master} 1`,
      '',
    ].join('\n'),
  );
  const child = spawn('redis-server', [config, '--sentinel'], { stdio: 'ignore' });
  killOnProcessExit(child);
  child.unref();
  await waitFor(
    async () => {
      if (hasExited(child)) throw new Error(`sentinel ${String(index)} exited at start`);
      return pingRedis(port, 500);
    },
    { timeoutMs: 10_000, description: `sentinel ${String(index)} answering PING` },
  );
  return { port, child };
}

/**
 * A Redis primary, one replica and (by default) three sentinels on loopback,
 * as real processes: ready once the replica is in sync and every sentinel
 * knows the replica and the other sentinels (so that a failover can be agreed).
 */
export async function startRedisSentinelGroup(
  options: SentinelGroupOptions = {},
): Promise<SentinelGroup> {
  const master = options.master ?? 'mymaster';
  const sentinelCount = options.sentinels ?? 3;
  const dir = await mkdtemp(join(tmpdir(), 'smtp-relay-sentinel-'));
  const primary = await startRedisServer();
  const replica = await startRedisServer({
    extraArgs: ['--replicaof', '127.0.0.1', String(primary.port)],
  });
  const sentinels: { port: number; child: ChildProcess }[] = [];
  const cleanup = async (): Promise<void> => {
    await Promise.all(sentinels.map(({ child }) => signalAndWaitForExit(child, 'SIGKILL')));
    await Promise.all([primary.cleanup(), replica.cleanup()]);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const replicasOnline = async (port: number): Promise<number> => {
      const info = await redisCli(port, ['INFO', 'replication']).catch(() => '');
      return info.split('\n').filter((line) => /^slave\d+:.*state=online/.test(line)).length;
    };
    await waitFor(async () => (await replicasOnline(primary.port)) >= 1, {
      timeoutMs: 15_000,
      description: 'the replica in sync',
    });
    for (let index = 0; index < sentinelCount; index++) {
      sentinels.push(
        await startSentinel(dir, index, master, primary.port, options.downAfterMs ?? 1000),
      );
    }
    const countOf = async (port: number, what: 'replicas' | 'sentinels'): Promise<number> => {
      const out = await redisCli(port, ['SENTINEL', what, master]).catch(() => '');
      return out.split('\n').filter((line) => line === 'name').length;
    };
    await waitFor(
      async () => {
        for (const { port } of sentinels) {
          if ((await countOf(port, 'replicas')) < 1) return false;
          if ((await countOf(port, 'sentinels')) < sentinelCount - 1) return false;
        }
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 200, description: 'sentinels that know each other' },
    );
    const sentinelPorts = sentinels.map(({ port }) => port);
    const sentinelAt = (index: number): ChildProcess => {
      const sentinel = sentinels[index];
      if (sentinel === undefined) throw new Error(`no sentinel ${String(index)}`);
      return sentinel.child;
    };
    const primaryPort = async (): Promise<number> => {
      for (const port of sentinelPorts) {
        const out = await redisCli(port, ['SENTINEL', 'get-master-addr-by-name', master]).catch(
          () => '',
        );
        const [, reported] = out.split('\n');
        if (reported !== undefined && reported !== '') return Number(reported);
      }
      throw new Error('no sentinel names a primary');
    };
    return {
      servers: [primary, replica],
      master,
      sentinelList: sentinelPorts.map((port) => `127.0.0.1:${String(port)}`).join(','),
      sentinelPorts,
      primaryPort,
      async waitForFailover(oldPort, timeoutMs = 30_000) {
        let promoted = oldPort;
        await waitFor(
          async () => {
            // Every sentinel names the same new primary, and it answers as one.
            const named = await Promise.all(
              sentinelPorts.map(async (port) => {
                const out = await redisCli(port, [
                  'SENTINEL',
                  'get-master-addr-by-name',
                  master,
                ]).catch(() => '');
                return Number(out.split('\n')[1] ?? oldPort);
              }),
            );
            promoted = named[0] ?? oldPort;
            if (promoted === oldPort || named.some((port) => port !== promoted)) return false;
            const role = await redisCli(promoted, ['ROLE']).catch(() => '');
            return role.startsWith('master');
          },
          { timeoutMs, intervalMs: 100, description: 'a failover to another primary' },
        );
        return promoted;
      },
      async waitForReplicas(count, timeoutMs = 30_000) {
        await waitFor(async () => (await replicasOnline(await primaryPort())) >= count, {
          timeoutMs,
          intervalMs: 100,
          description: `${String(count)} replica(s) online`,
        });
      },
      pauseSentinel(index) {
        sentinelAt(index).kill('SIGSTOP');
      },
      resumeSentinel(index) {
        sentinelAt(index).kill('SIGCONT');
      },
      cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
