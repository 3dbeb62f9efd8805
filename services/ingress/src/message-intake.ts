import type { Readable } from 'node:stream';
import { INGRESS_REPLIES } from '@smtp-relay/smtp-errors';
import { newDeliveryJob, type DeliveryProducer } from '@smtp-relay/queue';
import type { MessageStore, ReplicaWait, ThroughputCounter } from '@smtp-relay/store';
import { withTimeout } from '@smtp-relay/observability';
import { createSubjectReader } from './filter/subject-reader.ts';
import { historySubject } from './history-subject.ts';
import { ReplyError } from './reply.ts';

export interface IncomingEnvelope {
  readonly messageId: string;
  readonly mailFrom: string;
  readonly recipients: readonly string[];
  readonly client: { readonly address: string; readonly helo: string };
  readonly authUser: string | null;
  readonly bodyType: '7bit' | '8bitmime';
  readonly smtpUtf8: boolean;
}

export interface MessageIntakeDependencies {
  readonly store: MessageStore;
  readonly producer: DeliveryProducer;
  /** Upper bound for the final store flush, and again for the enqueue. */
  readonly storeTimeoutMs: number;
  /**
   * REDIS_WAIT_REPLICAS above 0: the body, then the job, must be confirmed on
   * the replicas (each within storeTimeoutMs) before the 250.
   */
  readonly replicas?: ReplicaWait | undefined;
  /** HISTORY_RETENTION above 0: the job carries the Subject for the message history. */
  readonly readSubject?: boolean | undefined;
  /** The dashboard's messages received per minute. */
  readonly throughput?: ThroughputCounter | undefined;
}

// The history needs the Subject, not the rest of the header section.
const SUBJECT_LIMITS = { maxHeaderBytes: 64 * 1024, maxSubjectBytes: 4 * 1024 };

/** The part of smtp-server's DATA stream the intake reads. */
export interface DataStream extends Readable {
  readonly sizeExceeded: boolean;
}

/** Looks at the message as it streams (S filter rules) and may refuse it at the end. */
export interface ContentCheck {
  /** Each chunk of the client's data, before it is stored. */
  push(chunk: Buffer): void;
  /** After the last chunk, before the job is queued; a ReplyError refuses the message. */
  verdict(): Promise<void>;
}

export interface MessageIntake {
  /**
   * Streams the body (after `header`) into the store, then enqueues the job.
   * Resolves with the stored size only when both writes are done: that is when
   * ingress may answer 250. Rejects with a ReplyError carrying the 4xx/5xx to
   * give, or with a DataInterruptedError when the client's data never ended.
   */
  accept(
    envelope: IncomingEnvelope,
    header: Buffer,
    data: DataStream,
    content?: ContentCheck,
  ): Promise<number>;
}

/**
 * The DATA stream failed before the final dot: the client disconnected, or the
 * server destroyed the connection at shutdown. Nothing was stored or queued.
 */
export class DataInterruptedError extends Error {
  constructor(cause: unknown) {
    super('DATA ended before the message was complete', { cause });
    this.name = 'DataInterruptedError';
  }
}

export function createMessageIntake(deps: MessageIntakeDependencies): MessageIntake {
  const queueUnavailable = (cause?: unknown): ReplyError =>
    new ReplyError(INGRESS_REPLIES.queueUnavailable, { cause });

  // WAIT answers at its timeout; ioredis's command timeout (storeTimeoutMs) must not come first.
  const replicaTimeoutMs = Math.max(1, Math.floor(deps.storeTimeoutMs * 0.8));

  return {
    async accept(envelope, header, data, content) {
      const writer = deps.store.openWriter(envelope.messageId);
      const subjectReader = deps.readSubject ? createSubjectReader(SUBJECT_LIMITS) : undefined;
      // The first failure to keep a chunk (store write, content check): from
      // then on the rest of DATA is only read, and the answer is 451.
      let failure: { readonly error: unknown } | undefined;
      const keep = async (chunk: Buffer, part: 'header' | 'content'): Promise<void> => {
        if (failure) return;
        try {
          // The content check sees the client's bytes only, not our Received: header.
          if (part === 'content') {
            content?.push(chunk);
            subjectReader?.push(chunk);
          }
          await writer.write(chunk);
        } catch (error) {
          failure = { error };
        }
      };
      await keep(header, 'header');
      let oversized = false;
      try {
        // Reads until the end of DATA even after a store failure: the client
        // must reach the end of its message to read our 451 (or 552).
        for await (const chunk of data) {
          if (oversized) continue;
          if (data.sizeExceeded) {
            // Stop storing at once: a client ignoring SIZE must not fill Redis.
            oversized = true;
            await writer.abort();
            continue;
          }
          await keep(chunk as Buffer, 'content');
        }
      } catch (error) {
        // The client went away (or the server shut down) in the middle of DATA:
        // nothing may be queued.
        await writer.abort();
        throw new DataInterruptedError(error);
      }
      if (oversized || data.sizeExceeded) {
        await writer.abort();
        throw new ReplyError(INGRESS_REPLIES.messageTooBig);
      }
      let size: number;
      try {
        if (failure) throw failure.error;
        // A refused message (S filter rule) is removed below like a failed one.
        await content?.verdict();
        size = await withTimeout(writer.finish(), deps.storeTimeoutMs, (): never => {
          throw queueUnavailable();
        });
        // Replicas first hold the body: with one down, the message is refused
        // here, before any job exists that a sender could deliver.
        if (deps.replicas && !(await deps.replicas.confirm(replicaTimeoutMs))) {
          throw queueUnavailable();
        }
      } catch (error) {
        // No job refers to the body yet, so removing it loses nothing.
        await writer.abort();
        throw error instanceof ReplyError ? error : queueUnavailable(error);
      }
      const subject = subjectReader && (await historySubject(subjectReader.subject()));
      const job = newDeliveryJob({ ...envelope, size, receivedAt: Date.now(), subject });
      try {
        await withTimeout(deps.producer.enqueue(job), deps.storeTimeoutMs, (): never => {
          throw queueUnavailable();
        });
      } catch (error) {
        // The body stays. A timed-out or failed add may still land: the command
        // can be in flight, or wait in a stalled Redis and run later, and a
        // timeout or a dropped connection does not tell whether it ran.
        // Deleting the body would then leave a job without a body, which the
        // sender can only dead-letter. A kept body that never gets its job is
        // removed by the sender's orphan sweep (bodies untouched for hours that
        // no job names), long after any add could still land. The cost is a
        // possible duplicate: the late job and the client's retry after our 451
        // are both delivered.
        throw error instanceof ReplyError ? error : queueUnavailable(error);
      }
      if (deps.replicas && !(await deps.replicas.confirm(replicaTimeoutMs))) {
        // The job is on the primary only. Taken back, with its body, nothing
        // of the message stays and the client's retry is the only copy. A
        // sender that already took it delivers it: the retry is then a
        // duplicate, never a loss.
        const withdrawn = await deps.producer.withdraw(envelope.messageId).catch(() => false);
        if (withdrawn) await writer.abort();
        throw queueUnavailable();
      }
      deps.throughput?.count('received');
      return size;
    },
  };
}
