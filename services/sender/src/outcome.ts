import type { DeliveryJob } from '@smtp-relay/queue';
import { formatReply, type DeliveryFailure } from '@smtp-relay/smtp-errors';
import type { DeliveryAttempt, RecipientFailure } from './deliver.ts';
import { nextRetryDelay } from './retry-schedule.ts';

// What to do after an attempt, decided from the job, the attempt's result, the
// message's age and the retry schedule. Pure: carry-out.ts applies it to the
// queue, the store and the bounce notifier.

/** How the attempt ends for the queue once nothing is left to try. */
type FinalResult =
  /** At least one recipient has the message: the job completes with the smart host's reply. */
  | { readonly kind: 'completed'; readonly response: string }
  /** Nobody has it: the job stays in the failed set with the replies, for operators. */
  | { readonly kind: 'failed'; readonly reason: string };

export type DeliveryDecision =
  /** Nothing left to try: bounce `bounced` (if any) to the sender, delete the body. */
  | {
      readonly action: 'finish';
      readonly delivered: readonly string[];
      readonly bounced: readonly RecipientFailure[];
      readonly result: FinalResult;
    }
  /** Try `remaining` again after `delayMs`; `delivered` and `bounced` are never tried again. */
  | {
      readonly action: 'retry';
      readonly delayMs: number;
      readonly delivered: readonly string[];
      readonly bounced: readonly RecipientFailure[];
      readonly remaining: readonly RecipientFailure[];
      /** The failure the retry is reported with (the first remaining recipient's). */
      readonly failure: DeliveryFailure;
      /**
       * The job as it must be stored before anything else happens, when fewer
       * recipients remain than it lists; undefined when it stays as it is.
       */
      readonly updatedJob: DeliveryJob | undefined;
    }
  /**
   * The smart host throttles us (or caps our connections) and took nobody:
   * the route pauses and the message waits without an attempt counted, never
   * bounced (docs/reference.md "Failover, routes and rate limits").
   */
  | { readonly action: 'throttle'; readonly failure: DeliveryFailure }
  /** Our settings are wrong: hold every message (this one untouched) and retry later. */
  | { readonly action: 'hold'; readonly failure: DeliveryFailure }
  /** The job cannot be processed at all; an operator must look. */
  | { readonly action: 'dead-letter'; readonly reason: string };

export interface DecisionContext {
  readonly now: number;
  readonly maxQueueLifetimeMs: number;
  readonly retryDelaysMs: readonly number[];
  /** Failed attempts so far, this one included. */
  readonly failedAttempts: number;
}

/** Gave up on a still-deferred recipient at MAX_QUEUE_LIFETIME (RFC 3463 5.4.7). */
function expired(recipient: RecipientFailure): RecipientFailure {
  return { ...recipient, expired: true };
}

/** The failed set's reason for a message nobody got: each recipient with its reply. */
export function bounceSummary(bounced: readonly RecipientFailure[]): string {
  return bounced.map((b) => `${b.recipient}: ${formatReply(b.failure.reply)}`).join('; ');
}

function finish(
  delivered: readonly string[],
  bounced: readonly RecipientFailure[],
  response: string | undefined,
): DeliveryDecision {
  const result: FinalResult =
    delivered.length > 0
      ? { kind: 'completed', response: response ?? 'delivered' }
      : { kind: 'failed', reason: bounceSummary(bounced) };
  return { action: 'finish', delivered, bounced, result };
}

/** A reply that says "slower", not "later": throttling, or too many connections. */
function isThrottling(recipient: RecipientFailure): boolean {
  return (
    recipient.failure.category === 'throttled' || recipient.failure.category === 'connection-limit'
  );
}

export function decide(
  job: DeliveryJob,
  attempt: DeliveryAttempt,
  context: DecisionContext,
): DeliveryDecision {
  switch (attempt.kind) {
    case 'body-missing':
      return { action: 'dead-letter', reason: 'message body missing from the store' };
    case 'systemic':
      // Never bounced, not even past MAX_QUEUE_LIFETIME: the message was never
      // really tried, and the fix (credentials, CA) is the operator's.
      return { action: 'hold', failure: attempt.failure };
    case 'attempted': {
      const { delivered, bounced, deferred, response } = attempt;
      const [first] = deferred;
      if (first === undefined) return finish(delivered, bounced, response);
      if (delivered.length === 0 && bounced.length === 0 && deferred.every(isThrottling)) {
        return { action: 'throttle', failure: first.failure };
      }
      const expiresAt = job.receivedAt + context.maxQueueLifetimeMs;
      if (context.now >= expiresAt) {
        return finish(delivered, [...bounced, ...deferred.map(expired)], response);
      }
      const delayMs = nextRetryDelay({
        schedule: context.retryDelaysMs,
        failedAttempts: context.failedAttempts,
        now: context.now,
        expiresAt,
      });
      const remaining = deferred.map((r) => r.recipient);
      return {
        action: 'retry',
        delayMs,
        delivered,
        bounced,
        remaining: deferred,
        failure: first.failure,
        updatedJob:
          remaining.length === job.recipients.length
            ? undefined
            : { ...job, recipients: remaining },
      };
    }
  }
}
