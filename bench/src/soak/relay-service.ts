import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { getFreePort, waitFor } from '@smtp-relay/testkit';

// One relay service (ingress or a sender) as a real process the soak can
// SIGKILL and start again with the same settings.

const root = fileURLToPath(new URL('../../../', import.meta.url));
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
});

export interface RelayService {
  readonly name: string;
  /** Process id of the current incarnation. */
  readonly pid: number | undefined;
  /** How many times it was started. */
  readonly starts: number;
  start(): Promise<void>;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
  /** Resident set size now, in MB (0 when not running). */
  rssMb(): Promise<number>;
  waitReady(timeoutMs?: number): Promise<void>;
}

export function relayService(
  name: string,
  script: 'ingress' | 'sender',
  env: Readonly<Record<string, string>>,
): RelayService {
  let child: ChildProcess | undefined;
  let adminPort = 0;
  let starts = 0;
  const exited = (c: ChildProcess): Promise<void> =>
    c.exitCode !== null || c.signalCode !== null
      ? Promise.resolve()
      : new Promise((resolve) => {
          c.once('exit', () => {
            resolve();
          });
        });
  const service: RelayService = {
    name,
    get pid() {
      return child?.pid;
    },
    get starts() {
      return starts;
    },
    async start() {
      // getFreePort's port may be taken before the process binds it: then it
      // exits at once, and starts again on another.
      for (let attempt = 1; ; attempt++) {
        adminPort = await getFreePort();
        const started = spawn(process.execPath, [`${root}services/${script}/src/main.ts`], {
          env: { ...env, ADMIN_HOST: '127.0.0.1', ADMIN_PORT: String(adminPort) },
          stdio: ['ignore', 'ignore', 'inherit'],
        });
        running.add(started);
        started.once('exit', () => running.delete(started));
        child = started;
        starts++;
        try {
          await service.waitReady();
          return;
        } catch (error) {
          if (started.exitCode === null || attempt >= 3) throw error;
        }
      }
    },
    async kill() {
      if (!child) return;
      child.kill('SIGKILL');
      await exited(child);
    },
    async stop() {
      if (!child) return;
      child.kill('SIGTERM');
      await exited(child);
    },
    async rssMb() {
      if (child?.pid === undefined || child.exitCode !== null) return 0;
      const status = await readFile(`/proc/${String(child.pid)}/status`, 'utf8').catch(() => '');
      return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) / 1024;
    },
    async waitReady(timeoutMs = 60_000) {
      await waitFor(
        async () => {
          if (child?.exitCode !== null) throw new Error(`${name} exited`);
          const response = await fetch(`http://127.0.0.1:${String(adminPort)}/readyz`).catch(
            () => undefined,
          );
          return response?.status === 200;
        },
        { timeoutMs, intervalMs: 100, description: `${name} ready` },
      );
    },
  };
  return service;
}
