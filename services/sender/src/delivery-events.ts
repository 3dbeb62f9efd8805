import type { Logger, RelayMetrics } from '@smtp-relay/observability';
import type { DeliveryJob } from '@smtp-relay/queue';
import { formatReply, type DeliveryFailure } from '@smtp-relay/smtp-errors';
import type { ThroughputCounter } from '@smtp-relay/store';
import type { RecipientFailure } from './deliver.ts';

// The log lines and metrics of a delivery attempt, one method per event name,
// so that every path reports an outcome with the same fields.

export interface DeliveryEvents {
  delivered(
    log: Logger,
    data: DeliveryJob,
    to: readonly string[],
    at: { readonly now: number; readonly durationMs: number; readonly response?: string },
  ): void;
  bounced(
    log: Logger,
    data: DeliveryJob,
    bounced: readonly RecipientFailure[],
    durationMs: number,
  ): void;
  deferred(
    log: Logger,
    remaining: readonly RecipientFailure[],
    failure: DeliveryFailure,
    at: { readonly retryInMs: number; readonly durationMs: number },
  ): void;
  systemic(
    log: Logger,
    failure: DeliveryFailure,
    at: { readonly holdMs: number | undefined; readonly durationMs: number },
  ): void;
  /** The smart host throttles: the message waits for its route, no attempt counted. */
  throttled(log: Logger, failure: DeliveryFailure, durationMs: number): void;
  /** Not tried now: the route is held, paused or at a limit; no attempt counted. */
  waiting(log: Logger, reason: string, waitMs: number): void;
  deadLetter(log: Logger, reason: string): void;
  bounceNotQueued(
    log: Logger,
    data: DeliveryJob,
    bounced: readonly RecipientFailure[],
    error: unknown,
  ): void;
  jobNotUpdated(log: Logger, remaining: readonly string[], error: unknown): void;
  interrupted(log: Logger, durationMs: number): void;
  /** The first delivery after a systemic hold: it tries the smart host for every replica. */
  probe(log: Logger): void;
  /** The probe got through: the hold is over. */
  resumed(log: Logger): void;
  holdNotUpdated(log: Logger, error: unknown): void;
}

/** The fields of a failure's reply on its log line, in this order. */
function replyFields(failure: DeliveryFailure) {
  return {
    smtpCode: failure.reply.code,
    enhancedCode: failure.reply.enhanced,
    reply: formatReply(failure.reply),
    category: failure.category,
    hint: failure.hint,
  };
}

/** `throughput`: the dashboard's per-minute counts, the same events as the counters. */
export function createDeliveryEvents(
  metrics: RelayMetrics,
  throughput?: ThroughputCounter,
): DeliveryEvents {
  return {
    delivered(log, data, to, at) {
      metrics.messagesDelivered.inc();
      throughput?.count('delivered');
      metrics.deliveryLatency.observe((at.now - data.receivedAt) / 1000);
      log.info(
        {
          event: 'delivery.delivered',
          from: data.mailFrom,
          to,
          size: data.size,
          response: at.response,
          delayMs: at.now - data.receivedAt,
          durationMs: at.durationMs,
        },
        'delivered',
      );
    },
    bounced(log, data, bounced, durationMs) {
      throughput?.count('bounced', bounced.length);
      for (const { recipient, failure } of bounced) {
        metrics.messagesBounced.inc({ category: failure.category });
        log.warn(
          {
            event: 'delivery.bounced',
            from: data.mailFrom,
            to: recipient,
            ...replyFields(failure),
            durationMs,
          },
          'bounced',
        );
      }
    },
    deferred(log, remaining, failure, at) {
      metrics.messagesDeferred.inc({ category: failure.category });
      throughput?.count('deferred');
      log.warn(
        {
          event: 'delivery.deferred',
          to: remaining.map((r) => r.recipient),
          ...replyFields(failure),
          retryInMs: at.retryInMs,
          durationMs: at.durationMs,
        },
        'deferred',
      );
    },
    systemic(log, failure, at) {
      metrics.systemicFailures.inc({ category: failure.category });
      // Loud: every message waits until an operator fixes the smart-host settings.
      log.error(
        {
          event: 'delivery.systemic',
          category: failure.category,
          smtpCode: failure.reply.code,
          enhancedCode: failure.reply.enhanced,
          reply: formatReply(failure.reply),
          rule: failure.rule,
          hint: failure.hint,
          holdMs: at.holdMs,
          durationMs: at.durationMs,
        },
        'smart host settings problem: all deliveries on hold (messages are kept, none bounced)',
      );
    },
    throttled(log, failure, durationMs) {
      metrics.messagesDeferred.inc({ category: failure.category });
      throughput?.count('deferred');
      log.warn(
        {
          event: 'delivery.throttled',
          ...replyFields(failure),
          durationMs,
        },
        'the smart host throttles: the route pauses, the message waits (no attempt counted, never bounced)',
      );
    },
    waiting(log, reason, waitMs) {
      // One line per job and wait: debug, or a throttled route would flood the log.
      log.debug({ event: 'delivery.waiting', reason, waitMs }, 'waits for its route');
    },
    deadLetter(log, reason) {
      log.error({ event: 'delivery.dead-letter', reason }, 'cannot be delivered');
    },
    bounceNotQueued(log, data, bounced, error) {
      log.error(
        {
          event: 'bounce.failed',
          to: data.mailFrom,
          recipients: bounced.map((b) => b.recipient),
          err: error,
        },
        'the bounce could not be queued',
      );
    },
    jobNotUpdated(log, remaining, error) {
      log.error(
        { event: 'delivery.job-update-failed', remaining, err: error },
        'the remaining recipients could not be recorded: the next attempt repeats them all',
      );
    },
    interrupted(log, durationMs) {
      log.warn(
        { event: 'delivery.interrupted', durationMs },
        'sender stopping: attempt handed back unrecorded, another sender repeats it',
      );
    },
    probe(log) {
      log.info(
        { event: 'delivery.probe' },
        'hold over: this delivery tries the smart host, the others wait for its outcome',
      );
    },
    resumed(log) {
      log.info({ event: 'delivery.resumed' }, 'the probe got through: all deliveries resume');
    },
    holdNotUpdated(log, error) {
      log.warn(
        { event: 'delivery.hold-update-failed', err: error },
        'the end of the hold could not be recorded: the next delivery probes again once this claim expires',
      );
    },
  };
}
