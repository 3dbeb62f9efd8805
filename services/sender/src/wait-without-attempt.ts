import { DelayedError } from 'bullmq';
import type { DeliveryJobHandle } from './carry-out.ts';

// A job that may not be tried now (its route is held, paused, at its rate or
// connection limit) goes back as a delayed job: BullMQ counts no attempt for
// it (attemptsMade stays; checked against BullMQ 6.7), so waiting never moves
// the message along RETRY_DELAYS or towards a bounce.

/** Spreads jobs sent back together, so that they do not all return at once. */
const SPREAD_MS = 1000;

export async function waitWithoutAttempt(
  job: DeliveryJobHandle,
  ms: number,
  token: string | undefined,
  now: number,
): Promise<DelayedError> {
  await job.moveToDelayed(
    now + Math.max(1, Math.ceil(ms)) + Math.floor(Math.random() * SPREAD_MS),
    token,
  );
  return new DelayedError();
}
