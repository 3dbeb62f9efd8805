import { hasJob, type DeliveryQueue } from '@smtp-relay/queue';
import type { FailedMessages, MessageStore, StoredBodies } from '@smtp-relay/store';

// Bodies are deleted when a delivery is final. A body can still be left
// without a job: ingress killed in the middle of DATA, a store write that
// timed out against a hung Redis and ran later, an enqueue that failed. Under
// `noeviction` such leftovers would fill Redis, so each sender sweeps now and
// then. Idempotent: several senders may sweep at once.

export interface OrphanSweepOptions {
  readonly bodies: StoredBodies & Pick<MessageStore, 'delete'>;
  /** Whether the queue still holds a job (in any state) for the message. */
  readonly hasJob: (messageId: string) => Promise<boolean>;
  /**
   * Only bodies untouched for this long are considered, so a body whose job is
   * being added right now (ingress, bounces) is never taken for an orphan.
   */
  readonly minIdleSeconds: number;
}

export interface OrphanSweepResult {
  readonly scanned: number;
  readonly deleted: number;
}

export async function sweepOrphanBodies(options: OrphanSweepOptions): Promise<OrphanSweepResult> {
  const { bodies } = options;
  let scanned = 0;
  let deleted = 0;
  for await (const batch of bodies.listBodyIds()) {
    for (const messageId of batch) {
      scanned++;
      const idle = await bodies.idleSeconds(messageId);
      // Gone meanwhile (delivered), or written too recently to judge.
      if (idle === undefined || idle < options.minIdleSeconds) continue;
      if (await options.hasJob(messageId)) continue;
      await bodies.delete(messageId);
      deleted++;
    }
  }
  return { scanned, deleted };
}

/**
 * Whether something still needs a body: its job (in any state), or, once a
 * failed message's job has gone (a finished job is kept a day), its failed
 * record, which keeps the body for FAILED_RETENTION.
 */
export function isBodyReferenced(
  queue: DeliveryQueue,
  failed: Pick<FailedMessages, 'read'>,
): (messageId: string) => Promise<boolean> {
  return async (messageId) =>
    (await hasJob(queue, messageId)) || (await failed.read(messageId)) !== undefined;
}
