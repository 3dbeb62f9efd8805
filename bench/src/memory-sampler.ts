import { readFileSync } from 'node:fs';

/** RSS and PSS of one process or group, in bytes. */
interface Memory {
  readonly rss: number;
  readonly pss: number;
}

/** Per group (ingress, sender, Redis, ...): the peak of the group's sum, and the last sample. */
export interface MemoryReport {
  readonly peak: ReadonlyMap<string, Memory>;
  readonly last: ReadonlyMap<string, Memory>;
  /** Peak of the sum over the groups given to `peakOf` (sampled together, so not the sum of peaks). */
  peakOf(groups: readonly string[]): Memory;
}

/** Rss and Pss of a process from /proc/PID/smaps_rollup (Linux 4.14+); zero once it has exited. */
function memoryOf(pid: number): Memory {
  try {
    const rollup = readFileSync(`/proc/${String(pid)}/smaps_rollup`, 'utf8');
    const kib = (name: string): number =>
      Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? 0) * 1024;
    return { rss: kib('Rss'), pss: kib('Pss') };
  } catch {
    return { rss: 0, pss: 0 };
  }
}

/**
 * Samples RSS and PSS of named groups of processes every `intervalMs`. PSS shares
 * pages mapped by several processes among them (the node binary, libraries), so the
 * PSS of processes adds up to what they really take, which RSS does not.
 */
export function sampleMemory(
  groups: () => ReadonlyMap<string, readonly number[]>,
  intervalMs = 100,
): {
  /** CPU seconds the sampling has cost this process so far (to take out of the load generator's). */
  cpuSeconds(): number;
  stop(): MemoryReport;
} {
  const peak = new Map<string, Memory>();
  const peakSums = new Map<string, Memory>();
  let last = new Map<string, Memory>();
  let samplerCpuMicros = 0;
  const sample = (): void => {
    const before = process.cpuUsage();
    const current = new Map<string, Memory>();
    for (const [name, pids] of groups()) {
      let rss = 0;
      let pss = 0;
      for (const pid of pids) {
        const memory = memoryOf(pid);
        rss += memory.rss;
        pss += memory.pss;
      }
      current.set(name, { rss, pss });
      const previous = peak.get(name);
      peak.set(name, {
        rss: Math.max(previous?.rss ?? 0, rss),
        pss: Math.max(previous?.pss ?? 0, pss),
      });
    }
    // Peaks of every combination asked for later: keep each subset's sum (few groups).
    const names = [...current.keys()];
    for (let mask = 1; mask < 1 << names.length; mask++) {
      const subset = names.filter((_, index) => (mask & (1 << index)) !== 0);
      let rss = 0;
      let pss = 0;
      for (const name of subset) {
        rss += current.get(name)?.rss ?? 0;
        pss += current.get(name)?.pss ?? 0;
      }
      const key = subset.join('+');
      const previous = peakSums.get(key);
      peakSums.set(key, {
        rss: Math.max(previous?.rss ?? 0, rss),
        pss: Math.max(previous?.pss ?? 0, pss),
      });
    }
    last = current;
    const used = process.cpuUsage(before);
    samplerCpuMicros += used.user + used.system;
  };
  const timer = setInterval(sample, intervalMs);
  sample();
  return {
    cpuSeconds: () => samplerCpuMicros / 1e6,
    stop() {
      clearInterval(timer);
      sample();
      const names = [...last.keys()];
      return {
        peak,
        last,
        peakOf(subset) {
          const key = names.filter((name) => subset.includes(name)).join('+');
          return peakSums.get(key) ?? { rss: 0, pss: 0 };
        },
      };
    },
  };
}
