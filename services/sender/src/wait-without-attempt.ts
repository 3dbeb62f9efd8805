import type { DeliveryJob } from '@smtp-relay/queue';
import { DelayedError } from 'bullmq';
import type { DeliveryJobHandle } from './carry-out.ts';

// A job that may not be tried now (its route is held, paused, at its rate or
// connection limit) goes back as a delayed job: BullMQ counts no attempt for
// it (attemptsMade stays; checked against BullMQ 6.7), so waiting never moves
// the message along RETRY_DELAYS or towards a bounce.

/** Spreads jobs sent back together, so that they do not all return at once. */
const SPREAD_MS = 1000;

/** Why a job waits (the job's `waiting.reason`, shown by the dashboard). */
export type WaitReason = NonNullable<DeliveryJob['waiting']>['reason'];

export interface WaitingJob {
  readonly job: DeliveryJobHandle;
  /** Its validated data. */
  readonly data: DeliveryJob;
  /** BullMQ's lock token of the job. */
  readonly token: string | undefined;
}

/** Resolves with the error that tells BullMQ the job moved itself to the delayed set. */
export async function waitWithoutAttempt(
  waiting: WaitingJob,
  reason: WaitReason,
  ms: number,
  now: number,
): Promise<DelayedError> {
  const until = now + Math.max(1, Math.ceil(ms)) + Math.floor(Math.random() * SPREAD_MS);
  // Only for the dashboard ("throttled" rather than a retry): a failed write
  // must not keep the job from waiting.
  await waiting.job
    .updateData({ ...waiting.data, waiting: { reason, until } })
    .catch(() => undefined);
  await waiting.job.moveToDelayed(until, waiting.token);
  return new DelayedError();
}
