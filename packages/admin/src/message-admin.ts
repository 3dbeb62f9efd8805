import {
  DELIVERY_JOB_NAME,
  isMessageId,
  nextAttemptAt,
  parseDeliveryJob,
  type DeliveryJob,
  type QueueAccess,
} from '@smtp-relay/queue';
import {
  createRedisFailedMessages,
  createRedisMessageHistory,
  type FailedRecord,
  type HistoryAttempt,
  type HistoryQuery,
  type HistoryRecord,
  type HistorySettings,
} from '@smtp-relay/store';
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
  /** Recipients the message failed for (bounced or expired), which a retry sends it to again. */
  readonly failedRecipients: readonly string[];
  /** ISO time until which the body is kept for a retry (FAILED_RETENTION); null: not finished or nothing failed. */
  readonly retryableUntil: string | null;
  /** The Subject: header (decoded); null when ingress kept none (HISTORY_RETENTION=0, older jobs). */
  readonly subject: string | null;
  /** What the message history kept of a delivered message; null while queued or when not kept. */
  readonly history: HistoryView | null;
}

/** A delivered message's record (docs/reference.md "Message history"), times as ISO. */
export interface HistoryView {
  readonly delivered: readonly string[];
  readonly bounced: readonly string[];
  /** The smart host's final reply. */
  readonly reply: string;
  /** The smart host's id of the message, from its reply; null when it names none. */
  readonly smartHostQueueId: string | null;
  /** Every attempt, oldest first. */
  readonly attempts: readonly (Omit<HistoryAttempt, 'at'> & { readonly at: string })[];
}

/** A search of the message history: the messages found, newest first. */
export interface HistorySearchView {
  /** Messages finished within the time range (searched or not). */
  readonly total: number;
  readonly messages: MessageView[];
  /** false: older matches may exist beyond what was searched; narrow the time range. */
  readonly complete: boolean;
}

export type AdminResult =
  | { readonly ok: true; readonly message: string }
  | { readonly ok: false; readonly status: 404 | 409; readonly message: string };

export interface MessageAdmin {
  /** False with HISTORY_RETENTION=0: nothing to search, and
   * the delivered list is the finished jobs the queue still holds (a day). */
  readonly historyKept: boolean;
  list(state: MessageState, limit: number): Promise<{ total: number; messages: MessageView[] }>;
  get(id: string): Promise<MessageView | undefined>;
  retry(id: string): Promise<AdminResult>;
  remove(id: string): Promise<AdminResult>;
  counts(): Promise<Record<MessageState, number>>;
  /** Delivered messages of the history matching the query (HISTORY_RETENTION). */
  search(query: HistoryQuery): Promise<HistorySearchView>;
}

/** What every relay process hands out; the admin reads and changes the queue and its bodies. */
export type MessageAdminDependencies = QueueAccess & {
  /** HISTORY_RETENTION and HISTORY_MAX_MESSAGES */
  readonly history: HistorySettings;
};

const BODY_GONE: AdminResult = {
  ok: false,
  status: 409,
  message: 'the message body is no longer kept (FAILED_RETENTION has passed)',
};

const iso = (ms: number | undefined): string | null =>
  ms === undefined || ms <= 0 ? null : new Date(ms).toISOString();

/**
 * How long a retried message's earlier attempts wait for its end: longer than
 * any MAX_QUEUE_LIFETIME in use (the admin does not know the senders'); the
 * finish deletes them anyway.
 */
const REOPENED_ATTEMPTS_KEPT_MS = 30 * 86_400_000;

const NO_SUCH_MESSAGE: AdminResult = { ok: false, status: 404, message: 'no such message' };

export function createMessageAdmin(deps: MessageAdminDependencies): MessageAdmin {
  const failed = createRedisFailedMessages({ redis: deps.redis, prefix: deps.prefix });
  const history = createRedisMessageHistory({
    redis: deps.redis,
    prefix: deps.prefix,
    settings: deps.history,
  });

  /** A delivered message as the history kept it (its job has gone, or is about to). */
  async function historyView(record: HistoryRecord): Promise<MessageView> {
    // A recipient that bounced may be retried while FAILED_RETENTION keeps the body.
    const failedRecord = record.bounced.length > 0 ? await failed.read(record.id) : undefined;
    const deferrals = record.attempts.filter((attempt) => attempt.outcome === 'deferred');
    return {
      id: record.id,
      state: 'completed',
      from: record.from,
      // Who has it: what a queue list's "to" shows of a delivered message.
      to: record.delivered,
      originalTo: record.to,
      size: record.size,
      attempts: deferrals.length,
      lastError: deferrals.at(-1)?.reply ?? null,
      receivedAt: new Date(record.receivedAt).toISOString(),
      nextAttemptAt: null,
      finishedAt: new Date(record.finishedAt).toISOString(),
      authUser: record.authUser,
      client: `${record.client.helo} [${record.client.address}]`,
      route: record.route,
      throttled: null,
      failedRecipients: failedRecord?.recipients ?? [],
      retryableUntil: iso(failedRecord?.keptUntil),
      subject: record.subject,
      history: historyDetails(record),
    };
  }

  async function view(
    job: Job,
    state: MessageState | 'unknown',
    record?: FailedRecord,
  ): Promise<MessageView> {
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
      failedRecipients: record?.recipients ?? [],
      retryableUntil: iso(record?.keptUntil),
      subject: data?.subject ?? null,
      history: null,
    };
  }

  /**
   * Queues a failed message again, as a new job under its id, to the
   * recipients it failed for, through the current configuration (its route
   * is chosen anew) and with a queue lifetime of its own.
   */
  async function requeue(id: string, job: Job | undefined, record: FailedRecord) {
    const parsed = parseDeliveryJob(JSON.parse(record.job) as unknown);
    if (!parsed.ok) {
      return {
        ok: false,
        status: 409,
        message: `the stored job is invalid: ${parsed.problem}`,
      } as const;
    }
    // Kept without end from here: it must not expire under the new job.
    if (!(await failed.reclaimBody(id))) return BODY_GONE;
    const data: DeliveryJob = {
      ...parsed.job,
      recipients: [...record.recipients],
      receivedAt: Date.now(),
    };
    // Chosen again from the current SMART_HOST_ROUTES_FILE; nothing to wait for.
    delete data.route;
    delete data.waiting;
    // A finished job keeps its id in BullMQ: it goes, so that the id is free again.
    await job?.remove();
    // Delivered to some before: the history's record waits for this run's end, to be kept whole.
    await history.reopen(id, REOPENED_ATTEMPTS_KEPT_MS);
    await deps.queue.add(DELIVERY_JOB_NAME, data, { jobId: id });
    await failed.forget(id);
    return {
      ok: true,
      message: `queued again for ${data.recipients.join(', ')}`,
    } as const;
  }

  async function search(query: HistoryQuery): Promise<HistorySearchView> {
    const page = await history.search(query);
    return {
      total: page.inRange,
      messages: await Promise.all(page.messages.map(historyView)),
      complete: page.complete,
    };
  }

  async function stateOf(job: Job): Promise<MessageState | 'unknown'> {
    const state = await job.getState();
    if (state === 'prioritized' || state === 'waiting-children') return 'waiting';
    return (MESSAGE_STATES as readonly string[]).includes(state) ? state : 'unknown';
  }

  return {
    historyKept: history.enabled,
    async list(state, limit) {
      if (state === 'completed' && history.enabled) {
        const { total, messages } = await search({ text: '', limit });
        return { total, messages };
      }
      const [jobs, total] = await Promise.all([
        deps.queue.getJobs([state], 0, limit - 1, state !== 'completed' && state !== 'failed'),
        deps.queue.getJobCountByTypes(state),
      ]);
      // Finished messages may have failed recipients a retry would send to.
      const finished = state === 'completed' || state === 'failed';
      return {
        total,
        messages: await Promise.all(
          jobs.map(async (job) =>
            view(job, state, finished ? await failed.read(job.id ?? '') : undefined),
          ),
        ),
      };
    },
    async get(id) {
      if (!isMessageId(id)) return undefined;
      const [job, record] = await Promise.all([deps.queue.getJob(id), history.get(id)]);
      const state = job ? await stateOf(job) : undefined;
      // Delivered: the history has what the finished job lacks (subject, attempts,
      // queue id). Queued again since (a retry for recipients that failed): the job.
      if (record && (state === undefined || state === 'completed')) return historyView(record);
      return job && state ? view(job, state, await failed.read(id)) : undefined;
    },
    search,
    async retry(id) {
      if (!isMessageId(id)) return NO_SUCH_MESSAGE;
      const job = await deps.queue.getJob(id);
      const state = job ? await stateOf(job) : undefined;
      if (job && state === 'delayed') {
        await job.promote();
        return { ok: true, message: 'queued for an attempt now' };
      }
      if (state === 'waiting' || state === 'active') {
        return { ok: false, status: 409, message: `the message is ${state}; nothing to retry` };
      }
      const record = await failed.read(id);
      if (record) return requeue(id, job, record);
      if (!job) return NO_SUCH_MESSAGE;
      if (state === 'failed') return BODY_GONE;
      return {
        ok: false,
        status: 409,
        message: 'no recipient of the message failed; nothing to retry',
      };
    },
    async remove(id) {
      if (!isMessageId(id)) return NO_SUCH_MESSAGE;
      const job = await deps.queue.getJob(id);
      if (!job) {
        // A failed message whose job has gone (a finished job is kept a day) may still have its body.
        if (!(await failed.read(id))) return NO_SUCH_MESSAGE;
        await failed.forget(id);
        await deps.store.delete(id);
        return { ok: true, message: 'deleted (no bounce is sent)' };
      }
      if ((await stateOf(job)) === 'active') {
        return {
          ok: false,
          status: 409,
          message: 'the message is being delivered right now; try again in a moment',
        };
      }
      await job.remove();
      await failed.forget(id);
      await deps.store.delete(id);
      return { ok: true, message: 'deleted (no bounce is sent)' };
    },
    async counts() {
      const [counts, delivered] = await Promise.all([
        deps.queue.getJobCounts(...MESSAGE_STATES),
        history.enabled ? history.count() : undefined,
      ]);
      const byState = Object.fromEntries(MESSAGE_STATES.map((s) => [s, counts[s] ?? 0])) as Record<
        MessageState,
        number
      >;
      // Completed messages are the history's: BullMQ keeps finished jobs only a day.
      return delivered === undefined ? byState : { ...byState, completed: delivered };
    },
  };
}

function historyDetails(record: HistoryRecord): HistoryView {
  return {
    delivered: record.delivered,
    bounced: record.bounced,
    reply: record.reply,
    smartHostQueueId: record.smartHostQueueId,
    attempts: record.attempts.map((attempt) => ({
      ...attempt,
      at: new Date(attempt.at).toISOString(),
    })),
  };
}
