import type { DeliveryJob } from '@smtp-relay/queue';
import { classifyDeliveryError, type DeliveryFailure } from '@smtp-relay/smtp-errors';
import type { MessageStore } from '@smtp-relay/store';
import type {
  MessageBody,
  SmartHostClient,
  SmartHostError,
  SmartHostSendOptions,
} from '@smtp-relay/smart-host';
import { rewriteForDelivery } from './rewrite-from.ts';

// One delivery attempt: body from the store, envelope from the job, to the
// smart host. Knows nothing about BullMQ: it returns what happened.

export interface RecipientFailure {
  readonly recipient: string;
  /** The last failure; for an expired recipient a temporary one. */
  readonly failure: DeliveryFailure;
  /** Still deferred when MAX_QUEUE_LIFETIME ran out (bounced as 5.4.7). */
  readonly expired?: boolean;
}

export type DeliveryAttempt =
  /** The body is gone (deleted by an operator, or a job whose store write never finished). */
  | { readonly kind: 'body-missing' }
  /** Our own settings failed (credentials, TLS, config): says nothing about this message. */
  | { readonly kind: 'systemic'; readonly failure: DeliveryFailure }
  | {
      readonly kind: 'attempted';
      readonly delivered: readonly string[];
      readonly bounced: readonly RecipientFailure[];
      readonly deferred: readonly RecipientFailure[];
      /** The smart host's final reply when something was delivered. */
      readonly response: string | undefined;
    };

export interface DeliverDependencies {
  readonly store: MessageStore;
  readonly client: SmartHostClient;
  /** REWRITE_FROM; undefined: the stored sender and message. */
  readonly rewriteFrom?: string | undefined;
  readonly sendOptions?: SmartHostSendOptions;
}

export async function deliver(
  job: DeliveryJob,
  deps: DeliverDependencies,
): Promise<DeliveryAttempt> {
  let message: { mailFrom: string; chunks: MessageBody; size: number };
  if (deps.rewriteFrom === undefined) {
    // Streamed from the store as it is sent: a large body is never held whole.
    const stored = await deps.store.streamChunks(job.messageId);
    if (stored === undefined) return { kind: 'body-missing' };
    message = { mailFrom: job.mailFrom, chunks: stored, size: job.size };
  } else {
    const stored = await deps.store.readChunks(job.messageId);
    if (stored === undefined) return { kind: 'body-missing' };
    // First: whatever comes after (signing) must see the headers as they go out.
    const { mailFrom, chunks } = rewriteForDelivery(job.mailFrom, stored, deps.rewriteFrom);
    message = { mailFrom, chunks, size: chunks.reduce((total, chunk) => total + chunk.length, 0) };
  }
  const { mailFrom, chunks } = message;
  try {
    const result = await deps.client.send(
      {
        from: mailFrom,
        to: job.recipients,
        size: message.size,
        use8BitMime: job.bodyType === '8bitmime',
      },
      chunks,
      deps.sendOptions,
    );
    return sortRecipients(result.accepted, result.rejected, result.response);
  } catch (error) {
    const shaped = toErrorShape(error);
    // Every recipient refused: nodemailer reports them all in one error.
    if (shaped.rejectedErrors && shaped.rejectedErrors.length > 0) {
      const refusals = job.recipients.map((recipient) => ({
        recipient,
        error: shaped.rejectedErrors?.find((e) => e.recipient === recipient) ?? shaped,
      }));
      const systemic = refusals
        .map((r) => classifyDeliveryError(r.error))
        .find((f) => f.kind === 'systemic');
      if (systemic) return { kind: 'systemic', failure: systemic };
      return sortRecipients([], refusals, undefined);
    }
    const failure = classifyDeliveryError(shaped);
    if (failure.kind === 'systemic') return { kind: 'systemic', failure };
    const all = job.recipients.map((recipient) => ({ recipient, failure }));
    return failure.kind === 'permanent'
      ? { kind: 'attempted', delivered: [], bounced: all, deferred: [], response: undefined }
      : { kind: 'attempted', delivered: [], bounced: [], deferred: all, response: undefined };
  }
}

function sortRecipients(
  accepted: readonly string[],
  rejected: readonly { recipient: string; error: SmartHostError }[],
  response: string | undefined,
): DeliveryAttempt {
  const bounced: RecipientFailure[] = [];
  const deferred: RecipientFailure[] = [];
  for (const { recipient, error } of rejected) {
    const failure = classifyDeliveryError(error);
    // A recipient-level refusal is never systemic here; a 5xx bounces, the rest retries.
    (failure.kind === 'permanent' ? bounced : deferred).push({ recipient, failure });
  }
  return { kind: 'attempted', delivered: [...accepted], bounced, deferred, response };
}

function toErrorShape(error: unknown): SmartHostError {
  if (error instanceof Error) return error;
  return new Error(String(error));
}
