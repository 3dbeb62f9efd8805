import type { DeliveryJob } from '@smtp-relay/queue';
import type { BounceNotifier } from '../../src/bounce-notifier.ts';
import type { RecipientFailure } from '../../src/deliver.ts';

export interface BounceNotice {
  readonly messageId: string;
  readonly to: string;
  readonly recipients: readonly string[];
  readonly expired: readonly boolean[];
  readonly attempt: number;
}

export interface RecordingBounceNotifier extends BounceNotifier {
  /** Bounces queued (a failed call records nothing). */
  readonly notices: readonly BounceNotice[];
  /** Calls, failed ones included. */
  readonly calls: number;
}

/** A BounceNotifier that keeps what it would queue; the first `failures` calls reject. */
export function createRecordingBounceNotifier(failures = 0): RecordingBounceNotifier {
  const notices: BounceNotice[] = [];
  let calls = 0;
  return {
    notices,
    get calls() {
      return calls;
    },
    notify(job: DeliveryJob, bounced: readonly RecipientFailure[], attempt: number) {
      calls++;
      if (calls <= failures) return Promise.reject(new Error('OOM command not allowed'));
      notices.push({
        messageId: job.messageId,
        to: job.mailFrom,
        recipients: bounced.map((b) => b.recipient),
        expired: bounced.map((b) => b.expired === true),
        attempt,
      });
      return Promise.resolve();
    },
  };
}
