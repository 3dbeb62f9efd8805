import type { Logger } from '@smtp-relay/observability';
import type { DeliveryJob } from '@smtp-relay/queue';
import type { FailedMessages, MessageHistory } from '@smtp-relay/store';
import { formatReply } from '@smtp-relay/smtp-errors';
import { UnrecoverableError, Worker } from 'bullmq';
import type { BounceNotifier } from './bounce-notifier.ts';
import type { Clock } from './clock.ts';
import { DeferredDelivery } from './deferred-delivery.ts';
import type { RecipientFailure } from './deliver.ts';
import type { AttemptHold } from './delivery-hold.ts';
import type { DeliveryEvents } from './delivery-events.ts';
import type { DeliveryDecision } from './outcome.ts';
import { smartHostQueueId } from './smart-host-queue-id.ts';
import { waitWithoutAttempt } from './wait-without-attempt.ts';

// Applies a decision: bookkeeping in the store and the bounce queue, then the
// answer BullMQ understands (a return value completes the job; the errors
// thrown here retry it, fail it for good, or put it back during a hold).

/** The part of a BullMQ job a delivery uses; BullMQ's Job is one. */
export interface DeliveryJobHandle {
  readonly id?: string | undefined;
  readonly data: unknown;
  /** Failed attempts before this one. */
  readonly attemptsMade: number;
  updateData(data: DeliveryJob): Promise<void>;
  /** Back to the delayed set until `timestamp` without an attempt counted (wait-without-attempt.ts). */
  moveToDelayed(timestamp: number, token?: string): Promise<void>;
}

export interface CarryOutDependencies {
  /** Failed recipients, and the body's fate once the message is done (deleted or kept). */
  readonly failed: FailedMessages;
  readonly settings: {
    readonly maxQueueLifetimeMs: number;
    /** FAILED_RETENTION */
    readonly failedRetentionMs: number;
  };
  readonly bounces: BounceNotifier;
  readonly events: DeliveryEvents;
  readonly clock: Clock;
  /** HISTORY_RETENTION: delivered messages' metadata and attempts; absent = none kept. */
  readonly history?: MessageHistory | undefined;
}

/** The attempt a decision was made for. */
export interface DecidedAttempt {
  readonly job: DeliveryJobHandle;
  /** The job's validated data. */
  readonly data: DeliveryJob;
  readonly attemptNumber: number;
  /** The smart host's final reply, when it accepted someone. */
  readonly response: string | undefined;
  /** When the attempt ended. */
  readonly now: number;
  readonly durationMs: number;
  readonly log: Logger;
  /** Its part in a systemic hold (delivery-hold.ts). */
  readonly hold: AttemptHold;
  /** BullMQ's lock token of the job, to move it back to the delayed set. */
  readonly token: string | undefined;
  /** true: a hold keeps the whole queue waiting; false: only the route's jobs (delivery-route.ts). */
  readonly holdsQueue: boolean;
}

/** Replies kept in the history are cut here: a record stays small (README "Message history"). */
const MAX_HISTORY_REPLY = 500;
const cut = (reply: string): string => reply.slice(0, MAX_HISTORY_REPLY);

/** The attempts of a message that can no longer be queued are kept this much longer. */
const HISTORY_ATTEMPTS_GRACE_MS = 86_400_000;

/** A throttled message comes back this soon; its route's pause then keeps it waiting. */
const THROTTLED_RETURN_MS = 1000;

// Redis may refuse writes for a moment (a failover, memory full): a bounce or a
// job update is tried this often, well within the job's 10 s lock.
const WRITE_ATTEMPTS = 3;
const WRITE_RETRY_MS = 500;

/** Resolves with the job's result (completed); rejects with BullMQ's answer otherwise. */
export async function carryOut(
  decision: DeliveryDecision,
  attempt: DecidedAttempt,
  deps: CarryOutDependencies,
): Promise<string> {
  const { data, log, durationMs } = attempt;
  const { events } = deps;
  switch (decision.action) {
    case 'finish': {
      await through();
      recordDelivered(decision.delivered);
      // From here on the smart host has the message: a failure of our own
      // bookkeeping must not make BullMQ retry the job and send it again.
      await bounce(decision.bounced);
      // Deleted, or kept for FAILED_RETENTION when a recipient failed. A body
      // left behind is removed by the orphan sweep.
      await deps.failed
        .finish(data.messageId, deps.settings.failedRetentionMs)
        .catch((error: unknown) => {
          log.warn({ event: 'store.delete-failed', err: error }, 'body not deleted or kept');
        });
      const { result } = decision;
      // Also when nobody got it in this attempt: an earlier one may have delivered (the history keeps those).
      const reply = result.kind === 'failed' ? result.reason : result.response;
      await recordHistory(() => finishHistory(reply, decision));
      if (result.kind === 'failed') throw new UnrecoverableError(result.reason);
      return result.response;
    }
    case 'retry': {
      await through();
      recordDelivered(decision.delivered);
      // First: accepted and bounced recipients are never tried again, even if
      // what follows fails and BullMQ retries the job.
      const recorded = decision.updatedJob === undefined || (await updateJob(decision.updatedJob));
      // Not recorded: the next attempt has every recipient of this one again.
      // The bounced ones are refused again then and bounced once, so no bounce
      // now; the accepted ones get the message a second time, as after a crash
      // (at-least-once).
      if (recorded) await bounce(decision.bounced);
      await recordHistory(() =>
        deps.history?.recordAttempt(
          data.messageId,
          {
            at: attempt.now,
            outcome: 'deferred',
            delivered: [...decision.delivered],
            bounced: decision.bounced.map((b) => b.recipient),
            reply: cut(formatReply(decision.failure.reply)),
          },
          // Until the message can no longer be queued, then a day to finish it.
          Math.max(0, data.receivedAt + deps.settings.maxQueueLifetimeMs - attempt.now) +
            HISTORY_ATTEMPTS_GRACE_MS,
        ),
      );
      events.deferred(log, decision.remaining, decision.failure, {
        retryInMs: decision.delayMs,
        durationMs,
      });
      throw new DeferredDelivery(decision.failure, decision.delayMs);
    }
    case 'throttle': {
      // Not `through`: a throttling reply (at the greeting, or Gmail's "too
      // many login attempts" at AUTH) does not show that our settings work, so
      // a probe ending here lets the next delivery probe.
      events.throttled(log, decision.failure, durationMs);
      throw await waitWithoutAttempt(attempt, 'throttled', THROTTLED_RETURN_MS, attempt.now);
    }
    case 'hold': {
      // Holds the whole queue, every sender replica, unless a hold already
      // runs: one probe per hold instead of every queued message failing AUTH
      // against the smart host (docs/adr/003).
      const holdMs = await attempt.hold.systemic();
      events.systemic(log, decision.failure, { holdMs, durationMs });
      if (attempt.holdsQueue) throw Worker.RateLimitError();
      // The route's own hold: this job waits for its end like the route's others.
      throw await waitWithoutAttempt(attempt, 'held', holdMs ?? THROTTLED_RETURN_MS, attempt.now);
    }
    case 'dead-letter': {
      events.deadLetter(log, decision.reason);
      throw new UnrecoverableError(decision.reason);
    }
  }

  /** It got through: as the probe, that ends the hold. Never throws: the delivery is done. */
  async function through(): Promise<void> {
    try {
      if (await attempt.hold.through()) events.resumed(log);
    } catch (error) {
      // The probe's claim expires by itself; the next probe ends the hold.
      events.holdNotUpdated(log, error);
    }
  }

  function recordDelivered(delivered: readonly string[]): void {
    if (delivered.length === 0) return;
    events.delivered(log, data, delivered, {
      now: attempt.now,
      durationMs,
      ...(attempt.response === undefined ? {} : { response: attempt.response }),
    });
  }

  /** The finished message's metadata for the history (docs/reference.md "Message history"). */
  function finishHistory(
    reply: string,
    decision: Extract<DeliveryDecision, { action: 'finish' }>,
  ): Promise<void> | undefined {
    return deps.history?.finish({
      id: data.messageId,
      from: data.mailFrom,
      to: data.originalRecipients,
      subject: data.subject ?? '',
      size: data.size,
      client: data.client,
      authUser: data.authUser,
      route: data.route ?? null,
      receivedAt: data.receivedAt,
      finishedAt: attempt.now,
      reply: cut(reply),
      smartHostQueueId: smartHostQueueId(reply),
      lastAttempt: {
        at: attempt.now,
        outcome: decision.delivered.length > 0 ? 'delivered' : 'failed',
        delivered: [...decision.delivered],
        bounced: decision.bounced.map((b) => b.recipient),
        reply: cut(reply),
      },
    });
  }

  /** A history write that fails is logged, never the delivery's failure: the message is out. */
  async function recordHistory(write: () => Promise<void> | undefined): Promise<void> {
    if (deps.history?.enabled !== true) return;
    try {
      await write();
    } catch (error) {
      log.warn({ event: 'history.not-recorded', err: error }, 'message history not updated');
    }
  }

  /** Queues the bounce, trying a few times. Never throws: the delivery itself is done. */
  async function bounce(bounced: readonly RecipientFailure[]): Promise<void> {
    if (bounced.length === 0) return;
    // First: what failed, so that a retry can send it again (docs/reference.md
    // "Failed messages and retry"), kept until the end of the message's
    // lifetime plus FAILED_RETENTION.
    const { maxQueueLifetimeMs, failedRetentionMs } = deps.settings;
    const lifetimeLeftMs = Math.max(0, data.receivedAt + maxQueueLifetimeMs - attempt.now);
    const notRecorded = await tryWrite(() =>
      deps.failed.recordFailed(
        data.messageId,
        JSON.stringify(data),
        bounced.map((b) => b.recipient),
        lifetimeLeftMs + failedRetentionMs,
      ),
    );
    if (notRecorded !== undefined) {
      log.warn(
        { event: 'failed.not-recorded', err: notRecorded.error },
        'failed recipients not recorded: the message cannot be retried',
      );
    }
    const failure = await tryWrite(() => deps.bounces.notify(data, bounced, attempt.attemptNumber));
    if (failure !== undefined) events.bounceNotQueued(log, data, bounced, failure.error);
    events.bounced(log, data, bounced, durationMs);
  }

  /** Whether the smaller recipient list is stored. */
  async function updateJob(updated: DeliveryJob): Promise<boolean> {
    const failure = await tryWrite(() => attempt.job.updateData(updated));
    if (failure === undefined) return true;
    events.jobNotUpdated(log, updated.recipients, failure.error);
    return false;
  }

  /** undefined once `write` succeeded; the last error after WRITE_ATTEMPTS failures. */
  async function tryWrite(write: () => Promise<void>): Promise<{ error: unknown } | undefined> {
    for (let tries = 1; ; tries++) {
      try {
        await write();
        return undefined;
      } catch (error) {
        if (tries >= WRITE_ATTEMPTS) return { error };
        await deps.clock.sleep(WRITE_RETRY_MS * tries);
      }
    }
  }
}
