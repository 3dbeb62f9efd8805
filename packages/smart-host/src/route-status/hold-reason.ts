import type { Redis } from 'ioredis';
import { holdReasonKey } from './route-status-keys.ts';

// Why a route is held (docs/reference.md "Held mail"): the systemic failure
// that started the hold, with what the operator should fix, for the dashboard.
// Written once per systemic failure (rare: a hold stops the attempts), read
// with the route status. The hold itself lives in the sender's hold store; this
// is only its explanation, kept a week after the last failure.

export interface HoldReason {
  /** The failure category (auth, oauth2, tls, dkim, pop3, config...). */
  readonly category: string;
  /** The smart host's reply, or our own 4.x.x for a failure before it answered. */
  readonly reply: string;
  /** What to change; null when the classification has no advice. */
  readonly hint: string | null;
  /** Epoch ms of the failure. */
  readonly at: number;
}

const KEEP_MS = 7 * 86_400_000;

/** Never rejects: an unexplained hold is still a hold, and shows as one. */
export async function recordHoldReason(
  redis: Redis,
  prefix: string,
  route: string,
  reason: HoldReason,
): Promise<void> {
  try {
    await redis.set(holdReasonKey(prefix, route), JSON.stringify(reason), 'PX', KEEP_MS);
  } catch {
    // see above
  }
}

export async function readHoldReason(
  redis: Redis,
  prefix: string,
  route: string,
): Promise<HoldReason | null> {
  const text = await redis.get(holdReasonKey(prefix, route));
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as Partial<HoldReason>;
    return typeof value.category === 'string' &&
      typeof value.reply === 'string' &&
      typeof value.at === 'number'
      ? { category: value.category, reply: value.reply, hint: value.hint ?? null, at: value.at }
      : null;
  } catch {
    return null;
  }
}
