import { isRedisConnectionError, type Logger, type RelayMetrics } from '@smtp-relay/observability';
import {
  DELIVERY_QUEUE_NAME,
  RELAY_BACKOFF_TYPE,
  parseDeliveryJob,
  type DeliveryJob,
  type DeliveryQueue,
} from '@smtp-relay/queue';
import { formatReply } from '@smtp-relay/smtp-errors';
import type { MessageStore } from '@smtp-relay/store';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { DeferredDelivery } from './deferred-delivery.ts';
import { deliver, type RecipientFailure } from './deliver.ts';
import { decide } from './outcome.ts';
import { createSystemicHold } from './systemic-hold.ts';
import type { SmartHostClient } from '@smtp-relay/smart-host';

export interface BounceNotifier {
  /** Sends (queues) a delivery status notification for `bounced` to the job's sender. */
  notify(job: DeliveryJob, bounced: readonly RecipientFailure[], attempt: number): Promise<void>;
}

export interface DeliveryWorkerSettings {
  readonly prefix: string;
  readonly concurrency: number;
  readonly retryDelaysMs: readonly number[];
  readonly maxQueueLifetimeMs: number;
}

export interface DeliveryWorkerDependencies {
  readonly settings: DeliveryWorkerSettings;
  /** A connection with maxRetriesPerRequest: null (BullMQ requires it for workers). */
  readonly connection: Redis;
  readonly queue: DeliveryQueue;
  readonly store: MessageStore;
  readonly client: SmartHostClient;
  readonly bounces: BounceNotifier;
  readonly logger: Logger;
  readonly metrics: RelayMetrics;
  /** false: the caller starts it with worker.run() */
  readonly autorun?: boolean;
}

type DeliveryWorkerJob = Job<DeliveryJob>;

const BOUNCE_ATTEMPTS = 3;
const BOUNCE_RETRY_MS = 500;

export function createDeliveryWorker(deps: DeliveryWorkerDependencies): Worker<DeliveryJob> {
  const { settings, logger, metrics } = deps;
  const systemicHold = createSystemicHold(settings.retryDelaysMs);

  async function processJob(job: DeliveryWorkerJob): Promise<string> {
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
    const started = Date.now();
    const attempt = await deliver(data, { store: deps.store, client: deps.client });
    const now = Date.now();
    const decision = decide(attempt, {
      now,
      receivedAt: data.receivedAt,
      maxQueueLifetimeMs: settings.maxQueueLifetimeMs,
      retryDelaysMs: settings.retryDelaysMs,
      failedAttempts: attemptNumber,
    });
    const durationMs = now - started;

    switch (decision.action) {
      case 'finish': {
        systemicHold.onSuccess();
        if (decision.delivered.length > 0)
          recordDelivered(log, data, decision.delivered, attempt, now, durationMs);
        // From here on the smart host has the message: a failure of our own
        // bookkeeping must not make BullMQ retry the job and send it again.
        if (decision.bounced.length > 0) {
          await notifyBounce(log, data, decision.bounced, attemptNumber);
          recordBounced(log, data, decision.bounced, durationMs);
        }
        // A body left behind is removed by the orphan sweep.
        await deps.store.delete(data.messageId).catch((error: unknown) => {
          log.warn({ event: 'store.delete-failed', err: error }, 'body not deleted');
        });
        if (decision.delivered.length === 0) {
          // Kept in the failed set, with the reply, for operators to inspect.
          throw new UnrecoverableError(bounceSummary(decision.bounced));
        }
        return attempt.kind === 'attempted' ? (attempt.response ?? 'delivered') : 'delivered';
      }
      case 'retry': {
        systemicHold.onSuccess();
        if (decision.delivered.length > 0)
          recordDelivered(log, data, decision.delivered, attempt, now, durationMs);
        const remaining = decision.remaining.map((r) => r.recipient);
        // First: accepted and bounced recipients are never tried again, even if
        // what follows fails and BullMQ retries the job.
        if (remaining.length !== data.recipients.length) {
          await job.updateData({ ...data, recipients: remaining });
        }
        if (decision.bounced.length > 0) {
          await notifyBounce(log, data, decision.bounced, attemptNumber);
          recordBounced(log, data, decision.bounced, durationMs);
        }
        const first = decision.remaining[0];
        if (!first) throw new Error('retry without recipients');
        metrics.messagesDeferred.inc({ category: first.failure.category });
        log.warn(
          {
            event: 'delivery.deferred',
            to: remaining,
            smtpCode: first.failure.reply.code,
            enhancedCode: first.failure.reply.enhanced,
            reply: formatReply(first.failure.reply),
            category: first.failure.category,
            hint: first.failure.hint,
            retryInMs: decision.delayMs,
            durationMs,
          },
          'deferred',
        );
        throw new DeferredDelivery(first.failure, decision.delayMs);
      }
      case 'hold': {
        metrics.systemicFailures.inc({ category: decision.failure.category });
        const holdMs = systemicHold.onFailure(now);
        // Loud: every message waits until an operator fixes the smart-host settings.
        log.error(
          {
            event: 'delivery.systemic',
            category: decision.failure.category,
            smtpCode: decision.failure.reply.code,
            enhancedCode: decision.failure.reply.enhanced,
            reply: formatReply(decision.failure.reply),
            rule: decision.failure.rule,
            hint: decision.failure.hint,
            holdMs,
            durationMs,
          },
          'smart host settings problem: all deliveries on hold (messages are kept, none bounced)',
        );
        // Pauses the whole queue, every sender replica: one probe per interval
        // instead of every queued message failing AUTH against the smart host.
        if (holdMs !== undefined) await deps.queue.rateLimit(holdMs);
        throw Worker.RateLimitError();
      }
      case 'dead-letter': {
        log.error(
          { event: 'delivery.dead-letter', reason: decision.reason },
          'cannot be delivered',
        );
        throw new UnrecoverableError(decision.reason);
      }
    }
  }

  const worker = new Worker<DeliveryJob>(DELIVERY_QUEUE_NAME, processJob, {
    connection: deps.connection,
    prefix: settings.prefix,
    concurrency: settings.concurrency,
    autorun: deps.autorun ?? true,
    // Needed for queue.rateLimit() to hold workers (systemic failures); the
    // limit itself is far above any real rate.
    limiter: { max: 1_000_000, duration: 1000 },
    // A sender that dies mid-delivery holds its jobs until the lock expires;
    // another sender then re-runs them (at-least-once). Shorter than BullMQ's
    // 30 s + 30 s so mail moves again within ~15 s; the lock is renewed every
    // 5 s while a delivery runs, and delivery never blocks the event loop.
    lockDuration: 10_000,
    stalledInterval: 5_000,
    // After this many crashes on the same message it goes to the failed set.
    maxStalledCount: 5,
    settings: {
      backoffStrategy: (_attemptsMade, type, error) =>
        type === RELAY_BACKOFF_TYPE && error instanceof DeferredDelivery
          ? error.retryAfterMs
          : (settings.retryDelaysMs[0] ?? 60_000),
    },
  });
  worker.on('error', (error: Error) => {
    // A lost Redis is reported once by watchRedis; BullMQ repeats it per retry.
    if (isRedisConnectionError(error))
      logger.debug({ event: 'worker.error', err: error }, 'worker error');
    else logger.warn({ event: 'worker.error', err: error }, 'worker error');
  });
  return worker;

  /**
   * Queues the bounce, trying a few times: Redis may refuse writes for a moment
   * (a failover, memory full). Never throws: the delivery itself is done.
   */
  async function notifyBounce(
    log: Logger,
    data: DeliveryJob,
    bounced: readonly RecipientFailure[],
    attemptNumber: number,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await deps.bounces.notify(data, bounced, attemptNumber);
        return;
      } catch (error) {
        if (attempt >= BOUNCE_ATTEMPTS) {
          log.error(
            {
              event: 'bounce.failed',
              to: data.mailFrom,
              recipients: bounced.map((b) => b.recipient),
              err: error,
            },
            'the bounce could not be queued',
          );
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, BOUNCE_RETRY_MS * attempt));
      }
    }
  }

  function recordDelivered(
    log: Logger,
    data: DeliveryJob,
    delivered: readonly string[],
    attempt: Awaited<ReturnType<typeof deliver>>,
    now: number,
    durationMs: number,
  ): void {
    metrics.messagesDelivered.inc();
    metrics.deliveryLatency.observe((now - data.receivedAt) / 1000);
    log.info(
      {
        event: 'delivery.delivered',
        from: data.mailFrom,
        to: delivered,
        size: data.size,
        response: attempt.kind === 'attempted' ? attempt.response : undefined,
        delayMs: now - data.receivedAt,
        durationMs,
      },
      'delivered',
    );
  }

  function recordBounced(
    log: Logger,
    data: DeliveryJob,
    bounced: readonly RecipientFailure[],
    durationMs: number,
  ): void {
    for (const { recipient, failure } of bounced) {
      metrics.messagesBounced.inc({ category: failure.category });
      log.warn(
        {
          event: 'delivery.bounced',
          from: data.mailFrom,
          to: recipient,
          smtpCode: failure.reply.code,
          enhancedCode: failure.reply.enhanced,
          reply: formatReply(failure.reply),
          category: failure.category,
          hint: failure.hint,
          durationMs,
        },
        'bounced',
      );
    }
  }
}

function bounceSummary(bounced: readonly RecipientFailure[]): string {
  return bounced.map((b) => `${b.recipient}: ${formatReply(b.failure.reply)}`).join('; ');
}
