import type { FakeSmartHost } from '@smtp-relay/testkit';
import type { LogLine, RelayProcess } from './relay-process.ts';

// docs/adr/003: a systemic failure starts a hold that every sender replica
// shares, and each hold ends with one probe. What the senders' logs and the
// smart host's logins show of that, for the hold tests.

export interface HoldStart {
  readonly at: number;
  readonly holdMs: number;
}

/**
 * The failures that started a hold (the others failed inside one), oldest
 * first; with `route`, only that route's (SMART_HOST_ROUTES_FILE).
 */
export function holdStarts(senders: readonly RelayProcess[], route?: string): HoldStart[] {
  return senders
    .flatMap((sender) => sender.logs)
    .filter(
      (line: LogLine) =>
        line.event === 'delivery.systemic' &&
        typeof line['holdMs'] === 'number' &&
        (route === undefined || line['route'] === route),
    )
    .map((line) => ({ at: Date.parse(String(line['time'])), holdMs: Number(line['holdMs']) }))
    .sort((a, b) => a.at - b.at);
}

/**
 * Hold starts grouped by hold: a start in the first half of a running hold
 * belongs to it (two replicas each starting their own).
 */
export function holdPeriods(starts: readonly HoldStart[]): HoldStart[][] {
  const periods: HoldStart[][] = [];
  for (const start of starts) {
    const current = periods.at(-1);
    const first = current?.[0];
    if (current && first && start.at < first.at + first.holdMs / 2) current.push(start);
    else periods.push([start]);
  }
  return periods;
}

/**
 * Logins (their times) from the start of one hold to the start of the next,
 * for every hold but the first and the last: the first hold's also has the
 * deliveries that were in flight when it began, the last has not ended yet.
 */
export function loginsPerHoldEnd(
  periods: readonly (readonly HoldStart[])[],
  logins: readonly number[],
): number[] {
  return periods
    .slice(1, -1)
    .map(
      (period, i) =>
        logins.filter((at) => at > (period[0]?.at ?? 0) && at <= (periods[i + 2]?.[0]?.at ?? 0))
          .length,
    );
}

/** When `smartHost` saw a login attempt (refused or not), oldest first. */
export function loginTimes(smartHost: FakeSmartHost): number[] {
  return smartHost.events.flatMap((e) => (e.type === 'auth' ? [e.at.getTime()] : []));
}
