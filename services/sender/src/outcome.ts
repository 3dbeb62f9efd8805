import type { DeliveryFailure } from '@smtp-relay/smtp-errors';
import type { DeliveryAttempt, RecipientFailure } from './deliver.ts';
import { nextRetryDelay } from './retry-schedule.ts';

// What to do after an attempt, decided from its result, the message's age and
// the retry schedule. Pure: worker.ts carries it out with BullMQ.

export type DeliveryDecision =
  /** Nothing left to try: delete the body; bounce `bounced` (if any) to the sender. */
  | {
      readonly action: 'finish';
      readonly delivered: readonly string[];
      readonly bounced: readonly RecipientFailure[];
    }
  /** Try `remaining` again after `delayMs`; `delivered` are never sent again. */
  | {
      readonly action: 'retry';
      readonly delayMs: number;
      readonly delivered: readonly string[];
      readonly bounced: readonly RecipientFailure[];
      readonly remaining: readonly RecipientFailure[];
    }
  /** Our settings are wrong: hold every message (this one untouched) and retry later. */
  | { readonly action: 'hold'; readonly failure: DeliveryFailure }
  /** The job cannot be processed at all; an operator must look. */
  | { readonly action: 'dead-letter'; readonly reason: string };

export interface DecisionContext {
  readonly now: number;
  readonly receivedAt: number;
  readonly maxQueueLifetimeMs: number;
  readonly retryDelaysMs: readonly number[];
  /** Failed attempts so far, this one included. */
  readonly failedAttempts: number;
}

/** Gave up on a still-deferred recipient at MAX_QUEUE_LIFETIME (RFC 3463 5.4.7). */
function expired(recipient: RecipientFailure): RecipientFailure {
  return { ...recipient, expired: true };
}

export function decide(attempt: DeliveryAttempt, context: DecisionContext): DeliveryDecision {
  switch (attempt.kind) {
    case 'body-missing':
      return { action: 'dead-letter', reason: 'message body missing from the store' };
    case 'systemic':
      // Never bounced, not even past MAX_QUEUE_LIFETIME: the message was never
      // really tried, and the fix (credentials, CA) is the operator's.
      return { action: 'hold', failure: attempt.failure };
    case 'attempted': {
      const { delivered, bounced, deferred } = attempt;
      if (deferred.length === 0) return { action: 'finish', delivered, bounced };
      const expiresAt = context.receivedAt + context.maxQueueLifetimeMs;
      if (context.now >= expiresAt) {
        return { action: 'finish', delivered, bounced: [...bounced, ...deferred.map(expired)] };
      }
      const delayMs = nextRetryDelay({
        schedule: context.retryDelaysMs,
        failedAttempts: context.failedAttempts,
        now: context.now,
        expiresAt,
      });
      return { action: 'retry', delayMs, delivered, bounced, remaining: deferred };
    }
  }
}
