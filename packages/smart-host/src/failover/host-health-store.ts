import type { SmartHostEndpoint } from '@smtp-relay/config';

// Which smart hosts of a route are cooling down after a connection-level
// failure, shared by every sender replica (docs/reference.md "Failover, routes
// and rate limits"). A cool-down is kept as time left (Redis PTTL), never as a
// deadline, so replicas whose clocks disagree still agree on it.

/** The longest cool-down: SMART_HOST_COOLDOWN doubles per failure up to this. */
export const MAX_COOLDOWN_MS = 10 * 60_000;

export interface HostHealth {
  /** Time left of the host's cool-down; 0 = it may be tried. */
  readonly coolingDownMs: number;
  /** Failures in a row that cooled it down; 0 after a success. */
  readonly failures: number;
}

export interface CooldownChange {
  /**
   * true: this failure started a cool-down. false: the host was cooling down
   * already (an attempt begun before another one failed there): one outage
   * counts once, so N concurrent attempts do not double it N times.
   */
  readonly started: boolean;
  readonly failures: number;
  /** The cool-down now running, time left. */
  readonly cooldownMs: number;
}

export interface HostHealthStore {
  /** Every one of `hostKeys`, healthy ones as {0, 0}. */
  read(route: string, hostKeys: readonly string[]): Promise<Map<string, HostHealth>>;
  /** A connection-level failure of the host (failover/host-failure.ts). */
  recordFailure(route: string, hostKey: string, baseCooldownMs: number): Promise<CooldownChange>;
  /** The host took a message: forget its failures. true when it had some (it is up again). */
  recordSuccess(route: string, hostKey: string): Promise<boolean>;
}

/** `host:port`, `[::1]:2525` for an IPv6 literal: names a host in keys, events and metrics. */
export function hostKey(endpoint: Pick<SmartHostEndpoint, 'host' | 'port'>): string {
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  return `${host}:${endpoint.port}`;
}

/** The cool-down after the n-th failure in a row: SMART_HOST_COOLDOWN, doubling, at most 10 min. */
export function cooldownAfter(failures: number, baseCooldownMs: number): number {
  return Math.min(baseCooldownMs * 2 ** Math.max(0, failures - 1), MAX_COOLDOWN_MS);
}

/**
 * How long failures are remembered after their cool-down ends: a host that fails
 * again within this is "still failing" (its cool-down doubles); after a quiet
 * spell this long the count starts again.
 */
function failuresKeptMs(cooldownMs: number): number {
  return cooldownMs + MAX_COOLDOWN_MS;
}

/** The same contract in one process's memory: unit tests, and a relay without Redis. */
export function createMemoryHostHealthStore(now: () => number = Date.now): HostHealthStore {
  interface Entry {
    failures: number;
    cooldownUntil: number;
    forgetAt: number;
  }
  const entries = new Map<string, Entry>();
  const entry = (route: string, key: string): Entry | undefined => {
    const id = `${route}\n${key}`;
    const found = entries.get(id);
    if (found !== undefined && found.forgetAt <= now()) {
      entries.delete(id);
      return undefined;
    }
    return found;
  };
  return {
    read(route, hostKeys) {
      const health = new Map<string, HostHealth>();
      for (const key of hostKeys) {
        const found = entry(route, key);
        health.set(key, {
          coolingDownMs: found === undefined ? 0 : Math.max(0, found.cooldownUntil - now()),
          failures: found?.failures ?? 0,
        });
      }
      return Promise.resolve(health);
    },
    recordFailure(route, key, baseCooldownMs) {
      const found = entry(route, key);
      const left = found === undefined ? 0 : found.cooldownUntil - now();
      if (found !== undefined && left > 0) {
        return Promise.resolve({ started: false, failures: found.failures, cooldownMs: left });
      }
      const failures = (found?.failures ?? 0) + 1;
      const cooldownMs = cooldownAfter(failures, baseCooldownMs);
      entries.set(`${route}\n${key}`, {
        failures,
        cooldownUntil: now() + cooldownMs,
        forgetAt: now() + failuresKeptMs(cooldownMs),
      });
      return Promise.resolve({ started: true, failures, cooldownMs });
    },
    recordSuccess(route, key) {
      const had = entry(route, key) !== undefined;
      entries.delete(`${route}\n${key}`);
      return Promise.resolve(had);
    },
  };
}
