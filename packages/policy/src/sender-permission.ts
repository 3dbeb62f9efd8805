import { INGRESS_REPLIES, type IngressReply } from '@smtp-relay/smtp-errors';
import type { SenderRules } from './parse-senders-file.ts';
import { matchesSenderPattern } from './sender-pattern.ts';

export type SenderDecision =
  | {
      readonly allowed: true;
      readonly reason: 'no-user' | 'unlisted' | 'null-sender' | 'matched';
    }
  | { readonly allowed: false; readonly reply: IngressReply };

export interface SenderRequest {
  /** The SMTP AUTH user of the session; undefined for a session that did not authenticate. */
  readonly user: string | undefined;
  /** The MAIL FROM address without `<>`; empty for the null sender. */
  readonly from: string;
}

/**
 * Whether a session may use its MAIL FROM address (docs/reference.md "Sender
 * address rules"). Only authenticated users listed in SMTP_SENDERS_FILE are
 * restricted: a session trusted by SMTP_RELAY_NETWORKS without AUTH has no user
 * to look up, and a user the file does not name may use any address. The null
 * sender `<>` is always allowed, as Postfix's reject_sender_login_mismatch does
 * not restrict it: a device's delivery reports must get out.
 */
export function decideSender(rules: SenderRules, request: SenderRequest): SenderDecision {
  if (request.user === undefined) return { allowed: true, reason: 'no-user' };
  const patterns = rules.get(request.user);
  if (patterns === undefined) return { allowed: true, reason: 'unlisted' };
  if (request.from === '') return { allowed: true, reason: 'null-sender' };
  if (patterns.some((pattern) => matchesSenderPattern(pattern, request.from))) {
    return { allowed: true, reason: 'matched' };
  }
  return { allowed: false, reply: INGRESS_REPLIES.senderNotAllowed };
}
