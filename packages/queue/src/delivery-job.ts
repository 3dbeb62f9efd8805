import * as z from 'zod';

// The contract between ingress and sender. Versioned: a sender must be able to
// read every version an ingress of the same or the previous release writes.
// Only the envelope travels in the job; the bytes are in the message store,
// found by the message id (the store owns its key layout).

export const DELIVERY_QUEUE_NAME = 'delivery';
export const DELIVERY_JOB_NAME = 'relay';

// Addresses end up in headers (bounces) and logs: no control characters.
// eslint-disable-next-line no-control-regex
const NO_CONTROL_CHARACTERS = /^[^\x00-\x1f\x7f]*$/;
const address = z.string().max(512).regex(NO_CONTROL_CHARACTERS, 'no control characters');

/** Characters of the Subject a job carries; the rest is cut off. */
export const SUBJECT_MAX_LENGTH = 300;

export const deliveryJobV1Schema = z.object({
  v: z.literal(1),
  // Also the BullMQ job id, which may not be all digits.
  messageId: z
    .string()
    .regex(/^[0-9A-Za-z_-]{8,64}$/)
    .refine((id) => !/^\d+$/.test(id), 'not all digits'),
  // `bodyKey` (the store's Redis key) was written until it turned out nothing
  // read it. Jobs queued by those releases still carry it: like any unknown
  // property it is accepted and dropped here. Senders of those releases
  // require it, so senders are upgraded before ingress (as the rule above says).
  /** Stored body size, Received: header included. */
  size: z.number().int().nonnegative(),
  /** '' is the null sender (bounces). */
  mailFrom: address,
  /** Recipients still to deliver: shrinks when the smart host accepts some of them. */
  recipients: z.array(address.min(1)).min(1),
  /** Every recipient ingress accepted, for bounces and the dashboard. */
  originalRecipients: z.array(address.min(1)).min(1),
  /** Epoch ms when ingress answered 250; MAX_QUEUE_LIFETIME counts from here. */
  receivedAt: z.number().int().positive(),
  client: z.object({
    address: z.string(),
    helo: z.string(),
  }),
  authUser: z.string().nullable(),
  bodyType: z.enum(['7bit', '8bitmime']),
  smtpUtf8: z.boolean(),
  // The route of SMART_HOST_ROUTES_FILE the sender chose, recorded on the
  // first attempt (docs/reference.md "Failover, routes and rate limits"); a
  // bounce carries its message's. Absent: not routed yet (or no routes file).
  route: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/)
    .optional(),
  // Set when the sender sent the job back untried (its route held, paused by
  // the smart host's throttling, or at a limit): why, and the epoch ms it was
  // told to come back. While the job is delayed until exactly then, the
  // dashboard shows it as throttled rather than as a retry.
  waiting: z
    .object({
      reason: z.enum(['held', 'paused', 'rate', 'recipient-rate', 'connections', 'throttled']),
      until: z.number().int().positive(),
    })
    .optional(),
  // The message's Subject: header, decoded, for the history (docs/reference.md
  // "Message history"); absent when ingress keeps no history or had none to read.
  subject: z.string().max(SUBJECT_MAX_LENGTH).optional(),
});

export type DeliveryJob = z.infer<typeof deliveryJobV1Schema>;

export const deliveryJobSchema = deliveryJobV1Schema;

export type DeliveryJobParseResult =
  | { readonly ok: true; readonly job: DeliveryJob }
  | { readonly ok: false; readonly problem: string };

export function parseDeliveryJob(data: unknown): DeliveryJobParseResult {
  const result = deliveryJobSchema.safeParse(data);
  if (result.success) return { ok: true, job: result.data };
  return { ok: false, problem: z.prettifyError(result.error) };
}

/** What a new job is made of: a message just accepted by ingress, or a bounce. */
export interface NewDeliveryJob {
  readonly messageId: string;
  /** Stored body size in bytes. */
  readonly size: number;
  readonly mailFrom: string;
  readonly recipients: readonly string[];
  /** Epoch ms of the 250 (or of the bounce's creation). */
  readonly receivedAt: number;
  readonly client: { readonly address: string; readonly helo: string };
  readonly authUser: string | null;
  readonly bodyType: '7bit' | '8bitmime';
  readonly smtpUtf8: boolean;
  /** A bounce's: the route of the message it reports on. */
  readonly route?: string | undefined;
  /** The Subject: header, decoded (see subject in the schema). */
  readonly subject?: string | undefined;
}

/**
 * The one place a job of the current version is built, so that every producer
 * writes the same shape. Copies what it keeps: later changes to the caller's
 * arrays do not reach the job, and extra properties of the input do not either.
 */
export function newDeliveryJob(input: NewDeliveryJob): DeliveryJob {
  return {
    v: 1,
    messageId: input.messageId,
    size: input.size,
    mailFrom: input.mailFrom,
    recipients: [...input.recipients],
    // Every recipient ingress accepted; `recipients` shrinks as they are done.
    originalRecipients: [...input.recipients],
    receivedAt: input.receivedAt,
    client: { address: input.client.address, helo: input.client.helo },
    authUser: input.authUser,
    bodyType: input.bodyType,
    smtpUtf8: input.smtpUtf8,
    ...(input.route === undefined ? {} : { route: input.route }),
    ...(input.subject === undefined ? {} : { subject: input.subject }),
  };
}
