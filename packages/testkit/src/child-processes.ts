import type { ChildProcess } from 'node:child_process';

// Children still alive when the test process exits (a failed assertion before cleanup,
// a forgotten handle) are killed here, so no orphan server outlives the test run.
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function killLiveChildren(): void {
  for (const child of liveChildren) child.kill('SIGKILL');
}

export function killOnProcessExit(child: ChildProcess): void {
  if (!exitHookInstalled) {
    process.on('exit', killLiveChildren);
    exitHookInstalled = true;
  }
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
}

export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/**
 * Sends `signal` and resolves once the child has exited. The child is referenced while
 * waiting: an unreferenced child would let Node exit in the middle of the await.
 * After `timeoutMs` it is killed with SIGKILL, which cannot be ignored.
 */
export async function signalAndWaitForExit(
  child: ChildProcess,
  signal: NodeJS.Signals,
  timeoutMs = 10_000,
): Promise<void> {
  if (hasExited(child)) return;
  child.ref();
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      resolve();
    }),
  );
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}
