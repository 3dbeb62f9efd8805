import * as z from 'zod';

// The contract between ingress and sender. Versioned: a sender must be able to
// read every version an ingress of the same or the previous release writes.
// Only the envelope travels in the job; the bytes are in the message store.

export const DELIVERY_QUEUE_NAME = 'delivery';
export const DELIVERY_JOB_NAME = 'relay';

// Addresses end up in headers (bounces) and logs: no control characters.
// eslint-disable-next-line no-control-regex
const NO_CONTROL_CHARACTERS = /^[^\x00-\x1f\x7f]*$/;
const address = z.string().max(512).regex(NO_CONTROL_CHARACTERS, 'no control characters');

export const deliveryJobV1Schema = z.object({
  v: z.literal(1),
  // Also the BullMQ job id, which may not be all digits.
  messageId: z
    .string()
    .regex(/^[0-9A-Za-z_-]{8,64}$/)
    .refine((id) => !/^\d+$/.test(id), 'not all digits'),
  bodyKey: z.string().min(1),
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
