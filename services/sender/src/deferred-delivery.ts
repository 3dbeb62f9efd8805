import type { DeliveryFailure } from '@smtp-relay/smtp-errors';
import { formatReply } from '@smtp-relay/smtp-errors';

/**
 * Thrown to BullMQ for a retry: its message (the smart host's reply) becomes
 * the job's failedReason, shown to operators; `retryAfterMs` is read back by
 * the worker's backoff strategy.
 */
export class DeferredDelivery extends Error {
  readonly retryAfterMs: number;
  readonly failure: DeliveryFailure;
  constructor(failure: DeliveryFailure, retryAfterMs: number) {
    super(`${formatReply(failure.reply)} (${failure.category})`);
    this.name = 'DeferredDelivery';
    this.retryAfterMs = retryAfterMs;
    this.failure = failure;
  }
}
