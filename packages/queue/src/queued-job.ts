import { dueTimeFromDelayedScore } from './delayed-score.ts';
import type { DeliveryQueue } from './delivery-queue.ts';

// Questions about one job, answered through BullMQ's API and key names so that
// no other package needs to know how BullMQ lays out Redis.

/** Whether the queue holds a job with this id, in any state (also completed or failed). */
export async function hasJob(queue: DeliveryQueue, jobId: string): Promise<boolean> {
  return (await queue.getJob(jobId)) !== undefined;
}

/** Epoch ms of a delayed job's next attempt; undefined when the job is not delayed. */
export async function nextAttemptAt(
  queue: DeliveryQueue,
  jobId: string,
): Promise<number | undefined> {
  const client = await queue.getBackend().client;
  const score = await client.zscore(queue.toKey('delayed'), jobId);
  return score === null ? undefined : dueTimeFromDelayedScore(Number(score));
}
