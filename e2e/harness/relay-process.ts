import { spawn, type ChildProcess } from 'node:child_process';
import { getFreePort, waitFor } from '@smtp-relay/testkit';
import { REPOSITORY_ROOT, readComposeService } from './compose-services.ts';
import { NODE_PROCESS_ENV } from './node-env.ts';

export interface LogLine {
  readonly level?: string;
  readonly event?: string;
  readonly msg?: string;
  readonly [key: string]: unknown;
}

export interface RelayProcess {
  readonly name: string;
  readonly adminPort: number;
  readonly child: ChildProcess;
  /** Parsed JSON log lines so far. */
  readonly logs: LogLine[];
  /** Non-JSON output (stderr, crashes). */
  readonly output: string[];
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** SIGTERM and wait; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait. */
  kill(): Promise<void>;
  readonly exited: Promise<number | null>;
}

export interface StartRelayProcessOptions {
  /** `ingress` or `sender`: the docker-compose.yml service whose command and environment are used. */
  readonly service: 'ingress' | 'sender';
  /** What a user would put in `.env` (interpolated into the compose environment). */
  readonly variables?: Readonly<Record<string, string>>;
  /**
   * What differs between a container and a local process: the Redis address,
   * ports (containers all use 2525/8080), bind addresses, file paths.
   */
  readonly overrides?: Readonly<Record<string, string>>;
  /** Wait until /readyz answers 200 (default true). */
  readonly waitReady?: boolean;
}

const START_ATTEMPTS = 3;

export async function startRelayProcess(options: StartRelayProcessOptions): Promise<RelayProcess> {
  // getFreePort's port can be taken (by another test's server, or as the
  // source port of an outgoing connection) before the process binds it: then
  // it exits with EADDRINUSE on its admin port, and starts again on another.
  for (let attempt = 1; ; attempt++) {
    const adminPort = await getFreePort();
    try {
      return await startOnce(options, adminPort);
    } catch (error) {
      const lostPort = String(error).includes(
        `EADDRINUSE: address already in use 127.0.0.1:${String(adminPort)}`,
      );
      if (!lostPort || attempt >= START_ATTEMPTS) throw error;
    }
  }
}

async function startOnce(
  options: StartRelayProcessOptions,
  adminPort: number,
): Promise<RelayProcess> {
  const service = readComposeService(options.service, options.variables ?? {});
  const env: Record<string, string> = {
    ...NODE_PROCESS_ENV,
    ...service.environment,
    ADMIN_HOST: '127.0.0.1',
    ADMIN_PORT: String(adminPort),
    SMTP_HOST: '127.0.0.1',
    // The compose file's Redis password lives on a volume; the test Redis has none.
    REDIS_PASSWORD_FILE: '',
    ...options.overrides,
  };
  const [command, ...args] = service.command;
  const child = spawn(command === 'node' ? process.execPath : (command ?? 'node'), args, {
    cwd: REPOSITORY_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  const output: string[] = [];
  const listeners = new Set<() => void>();
  const collect = (stream: NodeJS.ReadableStream | null): void => {
    let pending = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim() === '') continue;
        try {
          logs.push(JSON.parse(line) as LogLine);
        } catch {
          output.push(line);
        }
      }
      for (const listener of listeners) listener();
    });
  };
  collect(child.stdout);
  collect(child.stderr);
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      resolve(code);
    });
  });

  const handle: RelayProcess = {
    name: options.service,
    adminPort,
    child,
    logs,
    output,
    exited,
    waitForLog(predicate, timeoutMs = 15_000) {
      return waitFor(() => logs.find(predicate), {
        timeoutMs,
        intervalMs: 25,
        description: `${options.service} log line (have: ${logs.map((l) => l.event ?? l.msg).join(', ')}; output: ${output.join(' | ')})`,
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  if (options.waitReady ?? true) {
    try {
      await waitFor(
        async () => {
          if (child.exitCode !== null) {
            throw new Error(
              `${options.service} exited with ${String(child.exitCode)}: ${[
                ...output,
                ...logs.map((line) => JSON.stringify(line)),
              ].join('\n')}`,
            );
          }
          const response = await fetch(`http://127.0.0.1:${String(adminPort)}/readyz`).catch(
            () => undefined,
          );
          return response?.status === 200;
        },
        { timeoutMs: 20_000, intervalMs: 50, description: `${options.service} ready` },
      );
    } catch (error) {
      // A process that never got ready must not outlive the test (it would keep the run alive).
      await handle.kill();
      throw error;
    }
  }
  return handle;
}
