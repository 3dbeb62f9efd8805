import type { Logger, RelayMetrics } from '@smtp-relay/observability';
import { parseDeliveryJob } from '@smtp-relay/queue';
import type { SmartHostClient } from '@smtp-relay/smart-host';
import type { MessageStore } from '@smtp-relay/store';
import { UnrecoverableError, Worker } from 'bullmq';
import type { BounceNotifier } from './bounce-notifier.ts';
import { carryOut, type DeliveryJobHandle } from './carry-out.ts';
import type { Clock } from './clock.ts';
import { deliver } from './deliver.ts';
import { createDeliveryEvents } from './delivery-events.ts';
import type { DeliveryHold } from './delivery-hold.ts';
import { decide } from './outcome.ts';

// One job, start to end: validate it, make the attempt, decide, carry out.
// What BullMQ sees is the result or the error this returns (see carry-out.ts).

interface DeliverySettings {
  readonly retryDelaysMs: readonly number[];
  readonly maxQueueLifetimeMs: number;
  /** REWRITE_FROM */
  readonly rewriteFrom?: string | undefined;
}

export interface DeliveryProcessorDependencies {
  readonly settings: DeliverySettings;
  readonly store: MessageStore;
  readonly client: SmartHostClient;
  readonly bounces: BounceNotifier;
  /** Shared by every replica: holds after a systemic failure, one probe when a hold ends. */
  readonly hold: DeliveryHold;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: RelayMetrics;
}

/**
 * Processes one job. `signal` aborts when the sender stops before the
 * attempt is over: its outcome is then not acted on (see below).
 */
export type DeliveryProcessor = (job: DeliveryJobHandle, signal?: AbortSignal) => Promise<string>;

export function createDeliveryProcessor(deps: DeliveryProcessorDependencies): DeliveryProcessor {
  const { settings, logger, clock } = deps;
  const events = createDeliveryEvents(deps.metrics);

  return async (job, signal) => {
    const parsed = parseDeliveryJob(job.data);
    if (!parsed.ok) {
      logger.error(
        { event: 'delivery.invalid-job', jobId: job.id, problem: parsed.problem },
        'invalid job',
      );
      throw new UnrecoverableError(`invalid job data: ${parsed.problem}`);
    }
    const data = parsed.job;
    const attemptNumber = job.attemptsMade + 1;
    const log = logger.child({ messageId: data.messageId, attempt: attemptNumber });
    // docs/adr/003: during a hold, or while the probe that ends it is out, the
    // job goes back to waiting as the hold itself does it: no attempt counted.
    const start = await deps.hold.begin(data.messageId);
    if (start.kind === 'wait') throw Worker.RateLimitError();
    if (start.kind === 'probe') events.probe(log);
    try {
      const started = clock.now();
      const attempt = await deliver(data, {
        store: deps.store,
        client: deps.client,
        rewriteFrom: settings.rewriteFrom,
      });
      const now = clock.now();
      if (signal?.aborted === true) {
        // The stop cut the smart-host connection: a failure now may be our own
        // doing, so nothing is bounced, deleted or counted. The job goes back to
        // the queue as it is (or, if the queue can no longer be told, once its
        // lock expires) and another sender repeats the attempt: recipients the
        // smart host accepted just before may get it twice, as after a crash.
        events.interrupted(log, now - started);
        throw Worker.RateLimitError();
      }
      const decision = decide(data, attempt, {
        now,
        maxQueueLifetimeMs: settings.maxQueueLifetimeMs,
        retryDelaysMs: settings.retryDelaysMs,
        failedAttempts: attemptNumber,
      });
      return await carryOut(
        decision,
        {
          job,
          data,
          attemptNumber,
          response: attempt.kind === 'attempted' ? attempt.response : undefined,
          now,
          durationMs: now - started,
          log,
          hold: start.hold,
        },
        { ...deps, events },
      );
    } finally {
      // A probe that ended without an answer (stopped, no body, an error of
      // ours) lets the next delivery probe at once.
      await start.hold.finish();
    }
  };
}
