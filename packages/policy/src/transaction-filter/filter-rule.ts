import type { FilterMatcher } from './filter-pattern.ts';

/**
 * What a rule is applied to; the ingress passes these strings as they are:
 * - `H` the HELO/EHLO command line as the client sent it (`EHLO printer.lan`),
 * - `M` the MAIL FROM address (empty for the null sender `<>`),
 * - `R` each RCPT TO address, one evaluation per recipient,
 * - `S` the value of the message's `Subject:` header (after DATA).
 */
export type FilterItemType = 'H' | 'M' | 'R' | 'S';

/**
 * `R` and `B` reject the item with the rule's text as the reply (`B` rejects like `R`);
 * `D` answers `421 4.7.0` and closes the connection, logging the text; `X` accepts
 * the item and ends rule processing for it. The `S` suffix also blocks the client
 * address for SMTP_FILTER_BLOCK_TIME.
 */
export type FilterAction = 'R' | 'B' | 'D' | 'X' | 'RS' | 'BS';

export const FILTER_ITEM_TYPES: readonly FilterItemType[] = ['H', 'M', 'R', 'S'];
export const FILTER_ACTIONS: readonly FilterAction[] = ['R', 'B', 'D', 'X', 'RS', 'BS'];

export interface FilterRule {
  /** 1-based line number in the rule file, for logs. */
  readonly line: number;
  readonly type: FilterItemType;
  readonly matcher: FilterMatcher;
  readonly action: FilterAction;
  /** The quoted response text as written (may be empty). */
  readonly text: string;
}

export interface FilterFileProblem {
  /** 1-based line number in the rule file. */
  readonly line: number;
  readonly message: string;
}

export interface ParsedFilterFile {
  /** Well-formed rules in file order. */
  readonly rules: readonly FilterRule[];
  /** One entry per line that was skipped because it does not parse. */
  readonly problems: readonly FilterFileProblem[];
}
