import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasExited, killOnProcessExit, signalAndWaitForExit } from './child-processes.ts';
import { getFreePort } from './free-port.ts';
import { pingRedis } from './redis-ping.ts';

export interface RedisServerOptions {
  /** AOF with `appendfsync always`, so data survives kill -9 and restart (default false). */
  appendOnly?: boolean;
  /** Data directory; a fresh temp dir when absent. Only a temp dir is removed by cleanup(). */
  dir?: string;
  /** More `redis-server` arguments, appended last so they override the defaults. */
  extraArgs?: string[];
  /** How long to wait for the first `+PONG` (default 10 000 ms). */
  startTimeoutMs?: number;
}

export interface RedisServerHandle {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** PID of the current process; changes on restart(), undefined once stopped. */
  readonly pid: number | undefined;
  /** SIGTERM (a clean shutdown) and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL (a crash) and wait for the exit. */
  kill(): Promise<void>;
  /** Stops the server if running, then starts it again on the same port and dir. */
  restart(): Promise<void>;
  /** SIGSTOP: the port still accepts connections but nothing answers (a hung Redis). */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  /** Stops the server if running and removes the temp dir. */
  cleanup(): Promise<void>;
}

const START_ATTEMPTS = 3;

function redisArgs(port: number, dir: string, options: RedisServerOptions): string[] {
  const persistence = options.appendOnly
    ? ['--appendonly', 'yes', '--appendfsync', 'always']
    : ['--appendonly', 'no'];
  return [
    ...['--bind', '127.0.0.1', '--port', String(port), '--protected-mode', 'no'],
    ...['--save', '', '--dir', dir, '--logfile', join(dir, 'redis.log')],
    ...persistence,
    ...['--maxmemory-policy', 'noeviction'],
    ...(options.extraArgs ?? []),
  ];
}

async function logTail(dir: string): Promise<string> {
  const log = await readFile(join(dir, 'redis.log'), 'utf8').catch(() => '');
  return log.split('\n').slice(-15).join('\n');
}

/** Spawns redis-server and resolves once it answers PING; rejects if it exits first. */
async function launch(
  port: number,
  dir: string,
  options: RedisServerOptions,
): Promise<ChildProcess> {
  const child = spawn('redis-server', redisArgs(port, dir, options), { stdio: 'ignore' });
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  killOnProcessExit(child);
  const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
  for (;;) {
    if (spawnError) throw new Error('Could not spawn redis-server', { cause: spawnError });
    if (hasExited(child)) {
      const status = child.exitCode ?? child.signalCode;
      throw new Error(
        `redis-server on port ${port} exited (${String(status)}) before answering PING:\n${await logTail(dir)}`,
      );
    }
    if (await pingRedis(port, 500)) break;
    if (Date.now() >= deadline) {
      await signalAndWaitForExit(child, 'SIGKILL');
      throw new Error(`redis-server on port ${port} did not answer PING:\n${await logTail(dir)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  // A forgotten handle must not keep the test process alive; the exit hook kills it.
  child.unref();
  return child;
}

/** Starts a private redis-server on a free loopback port. */
export async function startRedisServer(
  options: RedisServerOptions = {},
): Promise<RedisServerHandle> {
  const ownsDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'smtp-relay-redis-')));
  await mkdir(dir, { recursive: true });

  let child: ChildProcess | undefined;
  let port = 0;
  for (let attempt = 1; child === undefined; attempt++) {
    port = await getFreePort();
    try {
      child = await launch(port, dir, options);
    } catch (error) {
      // Most likely someone else bound the port between getFreePort() and the spawn.
      if (attempt >= START_ATTEMPTS) {
        if (ownsDir) await rm(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }

  let paused = false;
  const running = (): ChildProcess | undefined =>
    child !== undefined && !hasExited(child) ? child : undefined;
  const terminate = async (signal: NodeJS.Signals): Promise<void> => {
    const current = running();
    if (current === undefined) return;
    // A stopped process keeps SIGTERM pending until it is continued.
    if (paused && signal !== 'SIGKILL') current.kill('SIGCONT');
    paused = false;
    await signalAndWaitForExit(current, signal);
  };

  const handle: RedisServerHandle = {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    get pid() {
      return running()?.pid;
    },
    stop: () => terminate('SIGTERM'),
    kill: () => terminate('SIGKILL'),
    async restart() {
      await terminate('SIGTERM');
      child = await launch(port, dir, options);
    },
    pause() {
      const current = running();
      if (current === undefined) return;
      current.kill('SIGSTOP');
      paused = true;
    },
    resume() {
      running()?.kill('SIGCONT');
      paused = false;
    },
    async cleanup() {
      await terminate('SIGTERM');
      if (ownsDir) await rm(dir, { recursive: true, force: true });
    },
  };
  return handle;
}
