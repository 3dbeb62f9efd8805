import type { DeliveryJob } from '@smtp-relay/queue';
import type { DeliveryJobHandle } from '../../src/carry-out.ts';

export interface MemoryJob extends DeliveryJobHandle {
  /** The data as stored now (after updates). */
  readonly stored: unknown;
  readonly updateCalls: number;
  /** When moveToDelayed was last told to bring it back; undefined: never. */
  readonly delayedUntil: number | undefined;
}

/** A queued job held in memory; the first `updateFailures` updateData calls reject. */
export function createMemoryJob(
  data: unknown,
  options: { readonly attemptsMade?: number; readonly updateFailures?: number } = {},
): MemoryJob {
  let stored = data;
  let updateCalls = 0;
  let delayedUntil: number | undefined;
  return {
    id: 'test-job',
    get data() {
      return stored;
    },
    get stored() {
      return stored;
    },
    get updateCalls() {
      return updateCalls;
    },
    get delayedUntil() {
      return delayedUntil;
    },
    attemptsMade: options.attemptsMade ?? 0,
    updateData(next: DeliveryJob) {
      updateCalls++;
      if (updateCalls <= (options.updateFailures ?? 0)) {
        return Promise.reject(new Error('READONLY You can’t write against a read only replica.'));
      }
      stored = structuredClone(next);
      return Promise.resolve();
    },
    moveToDelayed(timestamp: number) {
      delayedUntil = timestamp;
      return Promise.resolve();
    },
  };
}
