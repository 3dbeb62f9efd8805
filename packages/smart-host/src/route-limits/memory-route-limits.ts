import { randomBytes } from 'node:crypto';
import type { SendingRate } from '@smtp-relay/config';
import {
  isAfterLatestPause,
  leaseMember,
  leaseWeight,
  loweredConnectionLimit,
  pauseMs,
  raisedConnectionLimit,
  recipientsNeeded,
  slotMs,
  tuningWith,
} from './route-limit-rules.ts';
import {
  ROUTE_LIMIT_TUNING,
  type RouteAdmission,
  type RouteLeaseOutcome,
  type RouteLimits,
  type RouteLimitsOptions,
  type RouteLimitState,
  type RouteWaitReason,
} from './route-limits.ts';

export interface MemoryRouteLimitsOptions extends RouteLimitsOptions {
  /** The clock (ms); tests step it by hand. */
  readonly now?: () => number;
}

interface LoggedEntry {
  readonly member: string;
  at: number;
}

/**
 * The same limits in one process's memory (same rules as the Redis scripts,
 * one contract test for both): for unit tests and single-process runs.
 */
export function createMemoryRouteLimits(options: MemoryRouteLimitsOptions): RouteLimits {
  const { rate, recipientRate } = options;
  const tuning = tuningWith(ROUTE_LIMIT_TUNING, options.tuning);
  const now = options.now ?? Date.now;
  // Ended attempts per window, oldest first (scores of the Redis sorted sets).
  let messages: LoggedEntry[] = [];
  let recipients: LoggedEntry[] = [];
  /** member -> expiry */
  const leases = new Map<string, number>();
  let pausedUntil = 0;
  let pauses = 0;
  let pausedAt: number | undefined;
  let connectionLimit: number | undefined;
  let cappedAt = 0;
  let oks = 0;
  let limitChangedAt = 0;
  const nextTurn = new Map<RouteWaitReason, number>();

  const log = (entries: LoggedEntry[], member: string, at: number): void => {
    const existing = entries.find((entry) => entry.member === member);
    if (existing) existing.at = at;
    else entries.push({ member, at });
    entries.sort((a, b) => a.at - b.at);
  };
  const setConnectionLimit = (limit: number | undefined, time: number): void => {
    connectionLimit = limit;
    oks = 0;
    limitChangedAt = time;
    if (limit === undefined) cappedAt = 0;
  };

  // What every call does first (the scripts' prelude): expire leases, trim windows, raise a quiet limit.
  const settle = (time: number): void => {
    for (const [member, expiresAt] of leases) {
      if (expiresAt > time) continue;
      leases.delete(member);
      if (rate) log(messages, member, expiresAt);
      if (recipientRate) log(recipients, member, expiresAt);
    }
    messages = rate ? messages.filter((entry) => entry.at > time - rate.perMs) : [];
    recipients = recipientRate
      ? recipients.filter((entry) => entry.at > time - recipientRate.perMs)
      : [];
    if (connectionLimit !== undefined && time - limitChangedAt >= tuning.raiseAfterMs) {
      setConnectionLimit(raisedConnectionLimit(connectionLimit, cappedAt), time);
    }
  };
  const leasedRecipients = (): number =>
    [...leases.keys()].reduce((sum, member) => sum + leaseWeight(member), 0);
  const loggedRecipients = (): number =>
    recipients.reduce((sum, entry) => sum + leaseWeight(entry.member), 0);

  const wait = (
    reason: RouteWaitReason,
    earliest: number,
    step: number,
    time: number,
  ): RouteAdmission => {
    const at = Math.max(earliest, nextTurn.get(reason) ?? 0);
    nextTurn.set(reason, at + step);
    return { kind: 'wait', ms: Math.max(1, Math.ceil(at - time)), reason };
  };

  const rateWait = (limit: SendingRate, time: number): RouteAdmission | undefined => {
    const over = messages.length + leases.size - limit.count + 1;
    if (over <= 0) return undefined;
    const leaving = messages[over - 1];
    const freeAt = leaving === undefined ? time + limit.perMs : leaving.at + limit.perMs;
    return wait('rate', freeAt, slotMs(limit, 1), time);
  };

  const recipientWait = (
    limit: SendingRate,
    count: number,
    time: number,
  ): RouteAdmission | undefined => {
    const need = recipientsNeeded(count, limit);
    const over = loggedRecipients() + leasedRecipients() + need - limit.count;
    if (over <= 0) return undefined;
    let freed = 0;
    let freeAt = time + limit.perMs;
    for (const entry of recipients) {
      freed += leaseWeight(entry.member);
      if (freed >= over) {
        freeAt = entry.at + limit.perMs;
        break;
      }
    }
    return wait('recipient-rate', freeAt, slotMs(limit, need), time);
  };

  const end = (member: string, admittedAt: number, outcome: RouteLeaseOutcome): void => {
    const time = now();
    settle(time);
    const held = leases.delete(member);
    const inFlight = leases.size + (held ? 1 : 0);
    if (outcome === 'too-many-connections') {
      // Refused at the greeting: the smart host counted no message.
      messages = messages.filter((entry) => entry.member !== member);
      recipients = recipients.filter((entry) => entry.member !== member);
    } else {
      // Counted until now and a window more (also when it expired meanwhile:
      // a slow replica's attempt may reach the smart host as late as this).
      if (rate) log(messages, member, time);
      if (recipientRate) log(recipients, member, time);
    }
    const afterPause = isAfterLatestPause(admittedAt, pausedAt);
    if (outcome === 'throttled') {
      if (afterPause) {
        pauses += 1;
      } else if (pausedUntil > time) {
        return;
      }
      pauses = Math.max(1, pauses);
      pausedUntil = time + pauseMs(pauses, tuning);
      pausedAt = time;
    } else if (outcome === 'ok') {
      if (afterPause) pauses = 0;
      if (connectionLimit !== undefined) {
        oks += 1;
        if (oks >= tuning.raiseAfterOks) {
          setConnectionLimit(raisedConnectionLimit(connectionLimit, cappedAt), time);
        }
      }
    } else if (outcome === 'too-many-connections') {
      setConnectionLimit(loweredConnectionLimit(inFlight, connectionLimit), time);
      cappedAt = Math.max(cappedAt, inFlight);
    }
  };

  return {
    admit(jobId, count) {
      const time = now();
      settle(time);
      if (pausedUntil > time) {
        const step = rate ? slotMs(rate, 1) : tuning.connectionWaitStepMs;
        return Promise.resolve(wait('paused', pausedUntil, step, time));
      }
      if (connectionLimit !== undefined && leases.size >= connectionLimit) {
        const earliest = time + tuning.connectionWaitMs;
        return Promise.resolve(wait('connections', earliest, tuning.connectionWaitStepMs, time));
      }
      const waiting =
        (rate && rateWait(rate, time)) ||
        (recipientRate && recipientWait(recipientRate, count, time));
      if (waiting) return Promise.resolve(waiting);
      const member = leaseMember(jobId, count, randomBytes(4).toString('hex'));
      leases.set(member, time + tuning.leaseMaxMs);
      let ended = false;
      return Promise.resolve({
        kind: 'go',
        lease: {
          end(outcome) {
            if (!ended) end(member, time, outcome);
            ended = true;
            return Promise.resolve();
          },
        },
      });
    },
    read() {
      const time = now();
      settle(time);
      const state: RouteLimitState = {
        pausedMs: Math.max(0, pausedUntil - time),
        pauses,
        connectionLimit,
        inFlight: leases.size,
        sentInWindow: rate ? messages.length + leases.size : 0,
        recipientsInWindow: recipientRate ? loggedRecipients() + leasedRecipients() : 0,
      };
      return Promise.resolve(state);
    },
  };
}
