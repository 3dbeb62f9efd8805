// BullMQ keeps delayed jobs in a sorted set scored `timestamp * 0x1000 + n`:
// the time the job is due, with a 12-bit counter that keeps jobs due in the
// same millisecond in order (bullmq commands/includes/getDelayedScore.lua).
// Its API offers no other way to ask when a delayed job is due: the job hash
// keeps the delay, not when it started. Pinned by test/delayed-score.test.ts
// and, against BullMQ itself, by test/queued-job.int.test.ts.

const SEQUENCE_SLOTS = 0x1000;

/** The epoch ms a delayed job is due, from its score in BullMQ's delayed set. */
export function dueTimeFromDelayedScore(score: number): number {
  return Math.floor(score / SEQUENCE_SLOTS);
}
