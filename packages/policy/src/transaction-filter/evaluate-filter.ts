import { smtpReply, type SmtpReply } from '@smtp-relay/smtp-errors';
import { filterRejectReply } from './filter-reply.ts';
import type { FilterItemType, FilterRule } from './filter-rule.ts';

export interface FilterItem {
  readonly type: FilterItemType;
  /** The string the rule type is about (see FilterItemType); matched whole. */
  readonly value: string;
}

/**
 * What the ingress does with one item:
 * - `continue`: no rule of this type matched; go on as without filters.
 * - `accept`: an `X` rule matched; the item is accepted and no later rule is tried.
 * - `reject`: `R`/`B` (`RS`/`BS`); answer `reply` to that command (at S: to DATA,
 *   nothing queued). With `blockClient` the client address is also blocked for
 *   SMTP_FILTER_BLOCK_TIME.
 * - `disconnect`: `D`; answer `reply` (421 4.7.0), close, and log `logText`.
 * Every decision but `continue` names the rule that matched, for the log line.
 */
export type FilterDecision =
  | { readonly kind: 'continue' }
  | { readonly kind: 'accept'; readonly rule: FilterRule }
  | {
      readonly kind: 'reject';
      readonly reply: SmtpReply;
      readonly blockClient: boolean;
      readonly rule: FilterRule;
    }
  | {
      readonly kind: 'disconnect';
      readonly reply: SmtpReply;
      readonly logText: string;
      readonly rule: FilterRule;
    };

/** docs/reference.md "Transaction filter rules": `D` "sends 421 4.7.0 and closes the connection"; RFC 5321 §3.8 wording. */
export const FILTER_DISCONNECT_REPLY = smtpReply(
  421,
  '4.7.0',
  'Service not available, closing transmission channel',
);

const CONTINUE: FilterDecision = Object.freeze({ kind: 'continue' });

/** Rules of the item's type, in file order; the first whose pattern matches decides. */
export function evaluateFilter(rules: readonly FilterRule[], item: FilterItem): FilterDecision {
  const rule = rules.find(
    (candidate) => candidate.type === item.type && candidate.matcher.matches(item.value),
  );
  if (rule === undefined) return CONTINUE;
  switch (rule.action) {
    case 'X':
      return { kind: 'accept', rule };
    case 'D':
      return { kind: 'disconnect', reply: FILTER_DISCONNECT_REPLY, logText: rule.text, rule };
    case 'R':
    case 'B':
      return { kind: 'reject', reply: filterRejectReply(rule.text), blockClient: false, rule };
    case 'RS':
    case 'BS':
      return { kind: 'reject', reply: filterRejectReply(rule.text), blockClient: true, rule };
  }
}
