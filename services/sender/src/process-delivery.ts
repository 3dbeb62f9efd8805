import type { Logger, RelayMetrics } from '@smtp-relay/observability';
import { parseDeliveryJob, type DeliveryJob } from '@smtp-relay/queue';
import type { DeliveryFailure } from '@smtp-relay/smtp-errors';
import type {
  FailedMessages,
  MessageHistory,
  MessageStore,
  ThroughputCounter,
} from '@smtp-relay/store';
import { UnrecoverableError, Worker } from 'bullmq';
import type { BounceNotifier } from './bounce-notifier.ts';
import { carryOut, type DeliveryJobHandle } from './carry-out.ts';
import type { Clock } from './clock.ts';
import { deliver } from './deliver.ts';
import { createDeliveryEvents } from './delivery-events.ts';
import { decide, type DeliveryDecision } from './outcome.ts';
import type { DeliveryRoute, DeliveryRoutes } from './routes/delivery-route.ts';
import { routeOutcome, leaseOutcome, type RouteOutcome } from './routes/route-outcome.ts';
import { waitWithoutAttempt, type WaitReason } from './wait-without-attempt.ts';

// One job, start to end: validate it, find its route, pass the route's hold
// and limits, make the attempt, decide, carry out. What BullMQ sees is the
// result or the error this returns (see carry-out.ts).

interface DeliverySettings {
  readonly retryDelaysMs: readonly number[];
  readonly maxQueueLifetimeMs: number;
  /** FAILED_RETENTION */
  readonly failedRetentionMs: number;
}

export interface DeliveryProcessorDependencies {
  readonly settings: DeliverySettings;
  readonly store: MessageStore;
  /** Failed recipients and the retention of failed messages' bodies. */
  readonly failed: FailedMessages;
  /** HISTORY_RETENTION: delivered messages' metadata; absent = none kept. */
  readonly history?: MessageHistory | undefined;
  /** The dashboard's messages delivered, deferred and bounced per minute. */
  readonly throughput?: ThroughputCounter | undefined;
  /** The default route and those of SMART_HOST_ROUTES_FILE. */
  readonly routes: DeliveryRoutes;
  readonly bounces: BounceNotifier;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: RelayMetrics;
  /** How each attempt ended for its route, for the dashboard's counts (route-status). */
  readonly onRouteOutcome?: (route: string, outcome: RouteOutcome) => void;
  /** A systemic failure holds `route`: why, for the dashboard (route-status hold-reason.ts). */
  readonly onSystemic?: (route: string, failure: DeliveryFailure) => void;
}

/**
 * Processes one job. `signal` aborts when the sender stops before the
 * attempt is over: its outcome is then not acted on (see below). `token` is
 * BullMQ's lock token of the job.
 */
export type DeliveryProcessor = (
  job: DeliveryJobHandle,
  signal?: AbortSignal,
  token?: string,
) => Promise<string>;

export function createDeliveryProcessor(deps: DeliveryProcessorDependencies): DeliveryProcessor {
  const { settings, logger, clock } = deps;
  const events = createDeliveryEvents(deps.metrics, deps.throughput);

  function count(route: string, outcome: RouteOutcome): void {
    deps.metrics.routeAttempts.inc({ route, outcome });
    deps.onRouteOutcome?.(route, outcome);
  }

  /** The job names its route from here on; a failed write is repeated on the next attempt. */
  async function recordRoute(
    job: DeliveryJobHandle,
    data: DeliveryJob,
    route: DeliveryRoute,
    log: Logger,
  ): Promise<DeliveryJob> {
    const routed = { ...data, route: route.name };
    try {
      await job.updateData(routed);
    } catch (error) {
      log.warn(
        { event: 'delivery.route-not-recorded', err: error },
        'route not recorded on the job',
      );
    }
    return routed;
  }

  return async (job, signal, token) => {
    const parsed = parseDeliveryJob(job.data);
    if (!parsed.ok) {
      logger.error(
        { event: 'delivery.invalid-job', jobId: job.id, problem: parsed.problem },
        'invalid job',
      );
      throw new UnrecoverableError(`invalid job data: ${parsed.problem}`);
    }
    const attemptNumber = job.attemptsMade + 1;
    const { route, record } = deps.routes.routeOf(parsed.job);
    const log = logger.child({
      messageId: parsed.job.messageId,
      attempt: attemptNumber,
      route: route.name,
    });
    const data = record ? await recordRoute(job, parsed.job, route, log) : parsed.job;

    const wait = async (reason: WaitReason, ms: number): Promise<Error> => {
      events.waiting(log, reason, ms);
      count(route.name, 'limited');
      return waitWithoutAttempt({ job, data, token }, reason, ms, clock.now());
    };

    // docs/adr/003: during a hold, or while the probe that ends it is out, the
    // job goes back to waiting without an attempt counted: with one route as
    // the hold itself does it (the whole queue waits), with routes as a
    // delayed job, so that the other routes go on.
    const start = await route.hold.begin(data.messageId);
    if (start.kind === 'wait') {
      if (route.holdsQueue) throw Worker.RateLimitError();
      throw await wait('held', start.ms);
    }
    if (start.kind === 'probe') events.probe(log);
    try {
      // docs/reference.md "Failover, routes and rate limits": over a limit, or
      // while the smart host's throttling pauses the route, the message waits.
      const admission = await route.limits.admit(data.messageId, data.recipients.length);
      if (admission.kind === 'wait') throw await wait(admission.reason, admission.ms);
      const started = clock.now();
      let decision: DeliveryDecision | undefined;
      try {
        const attempt = await deliver(data, {
          store: deps.store,
          client: route.client,
          rewriteFrom: route.rewriteFrom,
          // The probe must reach the smart host: a host cooling down is tried too.
          sendOptions: { ignoreCooldown: start.kind === 'probe', logger: log },
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
        decision = decide(data, attempt, {
          now,
          maxQueueLifetimeMs: settings.maxQueueLifetimeMs,
          retryDelaysMs: settings.retryDelaysMs,
          failedAttempts: attemptNumber,
        });
        const outcome = routeOutcome(decision);
        if (outcome !== undefined) count(route.name, outcome);
        if (decision.action === 'hold') deps.onSystemic?.(route.name, decision.failure);
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
            token,
            holdsQueue: route.holdsQueue,
          },
          { ...deps, events },
        );
      } finally {
        // What the smart host said about our pace, for every replica; an
        // attempt without an answer (stopped, an error of ours) says nothing.
        await admission.lease.end(leaseOutcome(decision)).catch((error: unknown) => {
          log.warn({ event: 'route.limits-not-updated', err: error }, 'route limits not updated');
        });
      }
    } finally {
      // A probe that ended without an answer (stopped, no body, an error of
      // ours) lets the next delivery probe at once.
      await start.hold.finish();
    }
  };
}
