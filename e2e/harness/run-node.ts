import { spawn } from 'node:child_process';
import { REPOSITORY_ROOT } from './compose-services.ts';
import { NODE_PROCESS_ENV } from './node-env.ts';

export interface NodeRunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly elapsedMs: number;
}

/**
 * Runs `node <args>` from the repository root to its end, with the test's Node
 * settings plus `env`, feeding `input` on stdin: a service's start-up check or a
 * CLI command as an operator runs it. With `killAfterMs`, a process still
 * running then is killed (its result then has code null), so that it cannot
 * hang the test run.
 */
export function runNode(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
  input = '',
  killAfterMs?: number,
): Promise<NodeRunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: REPOSITORY_ROOT,
      env: { ...NODE_PROCESS_ENV, ...env },
    });
    const guard =
      killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr, elapsedMs: Date.now() - started });
    });
    child.stdin.end(input);
  });
}

/** `npx smtp-relay <args>`, run from the sources. */
export function runCli(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
  input = '',
): Promise<NodeRunResult> {
  return runNode(['services/cli/src/main.ts', ...args], env, input);
}
