import {
  isClear,
  planEnd,
  planStart,
  type AttemptEnd,
  type HoldChange,
  type HoldState,
  type HoldTiming,
  type Planned,
} from './systemic-hold.ts';

// Runs the decisions of systemic-hold.ts against the state every sender
// replica shares (redis-hold-store.ts): read, decide, change only if the state
// did not move in between, else decide again on the new one.

export interface HoldStore {
  read(): Promise<HoldState>;
  /**
   * Makes `change` if the state is still `expected` (what is left of each key
   * aside); false when it moved on.
   */
  change(expected: HoldState, change: HoldChange): Promise<boolean>;
}

/** The part of an attempt that the hold cares about. */
export interface AttemptHold {
  /** It got through to the smart host; true when that ended the hold (it was the probe). */
  through(): Promise<boolean>;
  /** A systemic failure: the hold it started (ms), or undefined when one already runs. */
  systemic(): Promise<number | undefined>;
  /**
   * Called once the attempt is over: unless through() or systemic() was, a
   * probe without an answer lets the next delivery probe. Never rejects: a
   * claim left behind expires by itself.
   */
  finish(): Promise<void>;
}

export type DeliveryStart =
  | { readonly kind: 'wait'; readonly ms: number }
  | { readonly kind: 'deliver' | 'probe'; readonly hold: AttemptHold };

export interface DeliveryHold {
  /** Before an attempt: deliver, deliver as the probe, or wait (hand the job back). */
  begin(jobId: string): Promise<DeliveryStart>;
}

// The state moves when another replica decides at the same moment; a few
// rounds settle it. Past them a delivery waits, and an end changes nothing.
const ROUNDS = 5;

/**
 * `monotonicNow`: milliseconds for timing.clearForMs; tests step it by hand.
 */
export function createDeliveryHold(
  store: HoldStore,
  timing: HoldTiming,
  monotonicNow: () => number = () => performance.now(),
): DeliveryHold {
  // docs/adr/014: while nothing is held a delivery starts without reading the
  // state, for timing.clearForMs after a read found it clear. A hold begun by
  // another replica reaches this one that much later (its workers meanwhile
  // start deliveries as if they had begun just before it); one begun here, or
  // any change made here, is seen at once.
  let clearSeenAt: number | undefined;
  /** Moves with each change made here: a read sent before it may be stale. */
  let changes = 0;
  const forgetClear = (): void => {
    clearSeenAt = undefined;
    changes++;
  };
  /** A read sent since the last change here, which deliveries starting meanwhile share. */
  let reading: { readonly state: Promise<HoldState>; readonly changes: number } | undefined;
  function read(): Promise<HoldState> {
    if (reading?.changes === changes) return reading.state;
    const before = changes;
    const at = monotonicNow();
    const state = store.read().then((read) => {
      if (!isClear(read)) clearSeenAt = undefined;
      else if (before === changes) clearSeenAt = at;
      return read;
    });
    reading = { state, changes };
    void state
      .finally(() => {
        if (reading?.state === state) reading = undefined;
      })
      .catch(() => undefined);
    return state;
  }
  async function change(expected: HoldState, planned: HoldChange): Promise<boolean> {
    forgetClear();
    try {
      return await store.change(expected, planned);
    } finally {
      forgetClear();
    }
  }
  const seenClear = (): boolean =>
    clearSeenAt !== undefined && monotonicNow() - clearSeenAt < timing.clearForMs;

  /** The decision made (its change, if any, made too); undefined when the rounds ran out. */
  async function settle<T>(
    plan: (state: HoldState) => Planned<T>,
  ): Promise<Planned<T> | undefined> {
    for (let round = 0; round < ROUNDS; round++) {
      const state = await read();
      const planned = plan(state);
      if (planned.change === undefined || (await change(state, planned.change))) {
        return planned;
      }
    }
    return undefined;
  }

  return {
    async begin(jobId) {
      const turn = seenClear()
        ? ({ kind: 'deliver' } as const)
        : ((await settle((state) => planStart(state, jobId, timing)))?.result ?? {
            kind: 'wait',
            ms: timing.probePollMs,
          });
      if (turn.kind === 'wait') return turn;
      const isProbe = turn.kind === 'probe';
      let ended = false;
      const end = async (how: AttemptEnd): Promise<Planned<number | undefined> | undefined> => {
        ended = true;
        // Not the probe and no systemic failure: nothing to change, no Redis.
        if (!isProbe && how !== 'systemic') return undefined;
        return settle((state) => planEnd(state, jobId, how, timing));
      };
      return {
        kind: turn.kind,
        hold: {
          async through() {
            return (await end('through'))?.change?.kind === 'clear';
          },
          async systemic() {
            return (await end('systemic'))?.result;
          },
          async finish() {
            if (ended) return;
            await end('inconclusive').catch(() => undefined);
          },
        },
      };
    },
  };
}
