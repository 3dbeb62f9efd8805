import { nextAttemptAt, parseDeliveryJob, type QueueAccess } from '@smtp-relay/queue';
import type { Job } from 'bullmq';

// The queue as an operator sees it: messages by state, with envelope,
// attempts, the last SMTP reply and the next attempt; retry and delete.
// Values in, values out: admin-routes.ts turns them into HTTP.

export const MESSAGE_STATES = ['waiting', 'delayed', 'active', 'failed', 'completed'] as const;
export type MessageState = (typeof MESSAGE_STATES)[number];

export interface MessageView {
  readonly id: string;
  readonly state: MessageState | 'unknown';
  readonly from: string;
  /** Recipients still to deliver. */
  readonly to: readonly string[];
  /** Every recipient ingress accepted. */
  readonly originalTo: readonly string[];
  readonly size: number;
  /** Failed attempts so far (systemic holds are not counted). */
  readonly attempts: number;
  /** The smart host's last reply (or our reason) for the last failed attempt. */
  readonly lastError: string | null;
  readonly receivedAt: string;
  /** ISO time of the next attempt, for delayed messages. */
  readonly nextAttemptAt: string | null;
  readonly finishedAt: string | null;
  readonly authUser: string | null;
  readonly client: string | null;
  /** The route of SMART_HOST_ROUTES_FILE the sender chose; null until its first attempt. */
  readonly route: string | null;
  /**
   * A delayed message that waits for its route without an attempt (shown as
   * throttled): held, paused (the smart host throttles), rate, recipient-rate,
   * connections, throttled; null when it waits for a retry or does not wait.
   */
  readonly throttled: string | null;
}

export type AdminResult =
  | { readonly ok: true; readonly message: string }
  | { readonly ok: false; readonly status: 404 | 409; readonly message: string };

export interface MessageAdmin {
  list(state: MessageState, limit: number): Promise<{ total: number; messages: MessageView[] }>;
  get(id: string): Promise<MessageView | undefined>;
  retry(id: string): Promise<AdminResult>;
  remove(id: string): Promise<AdminResult>;
  counts(): Promise<Record<MessageState, number>>;
}

/** What every relay process hands out; the admin reads and changes the queue and its bodies. */
export type MessageAdminDependencies = QueueAccess;

const iso = (ms: number | undefined): string | null =>
  ms === undefined || ms <= 0 ? null : new Date(ms).toISOString();

export function createMessageAdmin(deps: MessageAdminDependencies): MessageAdmin {
  async function view(job: Job, state: MessageState | 'unknown'): Promise<MessageView> {
    const parsed = parseDeliveryJob(job.data);
    const data = parsed.ok ? parsed.job : undefined;
    const dueAt = state === 'delayed' ? await nextAttemptAt(deps.queue, job.id ?? '') : undefined;
    return {
      id: job.id ?? '',
      state,
      from: data?.mailFrom ?? '',
      to: data?.recipients ?? [],
      originalTo: data?.originalRecipients ?? [],
      size: data?.size ?? 0,
      attempts: job.attemptsMade,
      lastError: job.failedReason || (parsed.ok ? null : `invalid job: ${parsed.problem}`),
      receivedAt: new Date(data?.receivedAt ?? job.timestamp).toISOString(),
      nextAttemptAt: iso(dueAt),
      finishedAt: iso(job.finishedOn),
      authUser: data?.authUser ?? null,
      client: data ? `${data.client.helo} [${data.client.address}]` : null,
      route: data?.route ?? null,
      // The sender wrote the moment it sent the job back; a retry later (or a
      // retry now) is due at another one.
      throttled: dueAt !== undefined && data?.waiting?.until === dueAt ? data.waiting.reason : null,
    };
  }

  async function stateOf(job: Job): Promise<MessageState | 'unknown'> {
    const state = await job.getState();
    if (state === 'prioritized' || state === 'waiting-children') return 'waiting';
    return (MESSAGE_STATES as readonly string[]).includes(state) ? state : 'unknown';
  }

  return {
    async list(state, limit) {
      const [jobs, total] = await Promise.all([
        deps.queue.getJobs([state], 0, limit - 1, state !== 'completed' && state !== 'failed'),
        deps.queue.getJobCountByTypes(state),
      ]);
      return { total, messages: await Promise.all(jobs.map((job) => view(job, state))) };
    },
    async get(id) {
      const job = await deps.queue.getJob(id);
      return job ? view(job, await stateOf(job)) : undefined;
    },
    async retry(id) {
      const job = await deps.queue.getJob(id);
      if (!job) return { ok: false, status: 404, message: 'no such message' };
      const state = await stateOf(job);
      if (state === 'delayed') {
        await job.promote();
        return { ok: true, message: 'queued for an attempt now' };
      }
      if (state === 'failed') {
        // A bounced message's body is deleted once the bounce is sent.
        if (!(await deps.store.exists(id))) {
          return {
            ok: false,
            status: 409,
            message: 'the message body is no longer stored (it was bounced)',
          };
        }
        await job.retry('failed');
        return { ok: true, message: 'queued for a new attempt' };
      }
      return { ok: false, status: 409, message: `the message is ${state}; nothing to retry` };
    },
    async remove(id) {
      const job = await deps.queue.getJob(id);
      if (!job) return { ok: false, status: 404, message: 'no such message' };
      if ((await stateOf(job)) === 'active') {
        return {
          ok: false,
          status: 409,
          message: 'the message is being delivered right now; try again in a moment',
        };
      }
      await job.remove();
      await deps.store.delete(id);
      return { ok: true, message: 'deleted (no bounce is sent)' };
    },
    async counts() {
      const counts = await deps.queue.getJobCounts(...MESSAGE_STATES);
      return Object.fromEntries(MESSAGE_STATES.map((s) => [s, counts[s] ?? 0])) as Record<
        MessageState,
        number
      >;
    },
  };
}
