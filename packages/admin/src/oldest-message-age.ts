/** The unfinished states whose oldest message the gauge reports. */
const AGED_STATES = ['waiting', 'delayed', 'active'] as const;
type AgedState = (typeof AGED_STATES)[number];

/** What the read needs of the delivery queue (BullMQ's Queue has it). */
interface JobLister {
  getJobs(
    types: AgedState[],
    start: number,
    end: number,
    asc: boolean,
  ): Promise<readonly { readonly data: unknown; readonly timestamp: number }[]>;
}

/**
 * Seconds since ingress accepted the oldest message of each state; 0 for an
 * empty state; a state whose read failed is left out (the gauge keeps its last
 * value). Reads two jobs per state, never the whole state, so a scrape stays
 * cheap with a large queue.
 *
 * Why both ends: that is where the oldest is in practice. BullMQ keeps
 * `waiting` and `active` in the order jobs entered the state (LPUSH, so
 * ascending = the tail = the longest there), but a retry promoted from
 * `delayed` enters `waiting` at the head with its old `receivedAt`; `delayed`
 * is sorted by due time, where the oldest message is usually the last due
 * (retry delays grow) but can be the next due (its long delay nearly over).
 * An older job in the middle is not seen: the value is a lower bound.
 */
export async function readOldestMessageAges(
  queue: JobLister,
  now: () => number = Date.now,
): Promise<Partial<Record<AgedState, number>>> {
  const ages: Partial<Record<AgedState, number>> = {};
  await Promise.all(
    AGED_STATES.map(async (state) => {
      try {
        const [first, last] = await Promise.all([
          queue.getJobs([state], 0, 0, true),
          queue.getJobs([state], 0, 0, false),
        ]);
        // BullMQ leaves out a job that went (delivered, removed) during the read.
        const accepted = [...first, ...last].map((job) => acceptedAt(job.data, job.timestamp));
        const oldest = Math.min(...accepted);
        ages[state] = accepted.length === 0 ? 0 : Math.max(0, (now() - oldest) / 1000);
      } catch {
        // Redis down or a job unreadable: leave this state out of the scrape.
      }
    }),
  );
  return ages;
}

/** When ingress accepted the message: its `receivedAt`, else when it was queued. */
function acceptedAt(data: unknown, queuedAt: number): number {
  const receivedAt: unknown =
    typeof data === 'object' && data !== null ? Reflect.get(data, 'receivedAt') : undefined;
  return typeof receivedAt === 'number' && Number.isFinite(receivedAt) ? receivedAt : queuedAt;
}
