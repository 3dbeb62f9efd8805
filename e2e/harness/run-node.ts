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
 * CLI command as an operator runs it.
 */
export function runNode(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
  input = '',
): Promise<NodeRunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: REPOSITORY_ROOT,
      env: { ...NODE_PROCESS_ENV, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
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
