import { readFileSync } from 'node:fs';

/** Sums VmRSS of the given processes every `intervalMs` and keeps the peak. */
export function sampleRss(pids: () => readonly number[], intervalMs = 100): { stop(): number } {
  let peak = 0;
  const sample = (): void => {
    let total = 0;
    for (const pid of pids()) {
      try {
        const match = /^VmRSS:\s+(\d+) kB/m.exec(
          readFileSync(`/proc/${String(pid)}/status`, 'utf8'),
        );
        total += Number(match?.[1] ?? 0) * 1024;
      } catch {
        // the process exited
      }
    }
    peak = Math.max(peak, total);
  };
  const timer = setInterval(sample, intervalMs);
  sample();
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}
