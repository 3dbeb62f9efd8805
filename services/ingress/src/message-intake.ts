import type { Readable } from 'node:stream';
import { INGRESS_REPLIES } from '@smtp-relay/smtp-errors';
import type { DeliveryJob, DeliveryProducer } from '@smtp-relay/queue';
import type { MessageStore } from '@smtp-relay/store';
import { withTimeout } from '@smtp-relay/observability';
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
  /** Upper bound for the final store flush and the enqueue together. */
  readonly storeTimeoutMs: number;
}

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
   * ingress may answer 250. Rejects with a ReplyError carrying the 4xx/5xx to give.
   */
  accept(
    envelope: IncomingEnvelope,
    header: Buffer,
    data: DataStream,
    content?: ContentCheck,
  ): Promise<number>;
}

export function createMessageIntake(deps: MessageIntakeDependencies): MessageIntake {
  const queueUnavailable = (cause?: unknown): ReplyError =>
    new ReplyError(INGRESS_REPLIES.queueUnavailable, { cause });

  return {
    async accept(envelope, header, data, content) {
      const writer = deps.store.openWriter(envelope.messageId);
      await writer.write(header);
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
          content?.push(chunk as Buffer);
          await writer.write(chunk as Buffer);
        }
      } catch (error) {
        // The client went away in the middle of DATA: nothing may be queued.
        await writer.abort();
        throw error;
      }
      if (oversized || data.sizeExceeded) {
        await writer.abort();
        throw new ReplyError(INGRESS_REPLIES.messageTooBig);
      }
      try {
        // A refused message (S filter rule) is removed below like a failed one.
        await content?.verdict();
        const size = await withTimeout(writer.finish(), deps.storeTimeoutMs, (): never => {
          throw queueUnavailable();
        });
        const job: DeliveryJob = {
          v: 1,
          messageId: envelope.messageId,
          bodyKey: deps.store.bodyKey(envelope.messageId),
          size,
          mailFrom: envelope.mailFrom,
          recipients: [...envelope.recipients],
          originalRecipients: [...envelope.recipients],
          receivedAt: Date.now(),
          client: { address: envelope.client.address, helo: envelope.client.helo },
          authUser: envelope.authUser,
          bodyType: envelope.bodyType,
          smtpUtf8: envelope.smtpUtf8,
        };
        await withTimeout(deps.producer.enqueue(job), deps.storeTimeoutMs, (): never => {
          throw queueUnavailable();
        });
        return size;
      } catch (error) {
        await writer.abort();
        throw error instanceof ReplyError ? error : queueUnavailable(error);
      }
    },
  };
}
