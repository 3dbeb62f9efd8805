import type { Clock } from '../../src/clock.ts';
import { createDeliveryHold, type DeliveryHold, type HoldStore } from '../../src/delivery-hold.ts';
import { holdTiming, type HoldChange, type HoldState } from '../../src/systemic-hold.ts';

export interface MemoryHoldStore extends HoldStore {
  /** Every hold set (ms), oldest first. */
  readonly holdsSet: readonly number[];
  /** What `npx smtp-relay queue resume` does: BullMQ's rate limit key removed. */
  resume(): void;
}

/**
 * The shared hold state as redis-hold-store.ts keeps it, in memory: keys that
 * expire on `clock`, a change made only if the state is still the expected one.
 */
export function createMemoryHoldStore(clock: Pick<Clock, 'now'>): MemoryHoldStore {
  let holds = 0;
  let holdUntil = 0;
  let probe: { jobId: string; until: number } | undefined;
  let pausedUntil = 0;
  const holdsSet: number[] = [];

  const state = (): HoldState => {
    const now = clock.now();
    return {
      holds,
      holdingMs: Math.max(holdUntil - now, 0),
      probe:
        probe !== undefined && probe.until > now
          ? { jobId: probe.jobId, claimMs: probe.until - now }
          : undefined,
      pausedMs: Math.max(pausedUntil - now, 0),
    };
  };
  const same = (a: HoldState, b: HoldState): boolean =>
    a.holds === b.holds &&
    a.holdingMs > 0 === b.holdingMs > 0 &&
    a.probe?.jobId === b.probe?.jobId &&
    a.pausedMs > 0 === b.pausedMs > 0;

  const apply = (change: HoldChange): void => {
    const now = clock.now();
    switch (change.kind) {
      case 'hold':
        holds = change.holds;
        holdUntil = now + change.ms;
        probe = undefined;
        pausedUntil = now + change.ms;
        holdsSet.push(change.ms);
        return;
      case 'claim-probe':
        probe = { jobId: change.jobId, until: now + change.ms };
        holdUntil = 0;
        return;
      case 'pause':
        pausedUntil = now + change.ms;
        return;
      case 'release-probe':
        probe = undefined;
        return;
      case 'clear':
        holds = 0;
        holdUntil = 0;
        probe = undefined;
        pausedUntil = 0;
        return;
    }
  };

  return {
    holdsSet,
    resume() {
      pausedUntil = 0;
    },
    read: () => Promise.resolve(state()),
    change(expected, change) {
      if (!same(state(), expected)) return Promise.resolve(false);
      apply(change);
      return Promise.resolve(true);
    },
  };
}

export interface MemoryHold extends DeliveryHold {
  readonly store: MemoryHoldStore;
}

/** A sender's hold on a memory store (SMTP_CLIENT_TIMEOUT 60 s). */
export function createMemoryHold(
  clock: Pick<Clock, 'now'>,
  retryDelaysMs: readonly number[] = [60_000],
): MemoryHold {
  const store = createMemoryHoldStore(clock);
  return { ...createDeliveryHold(store, holdTiming(retryDelaysMs, 60_000)), store };
}
