import { evaluateFilter, type FilterItem, type FilterRule } from '@smtp-relay/policy';
import { formatReply, type SmtpReply } from '@smtp-relay/smtp-errors';
import type { BlockingLogger, ClientBlocking } from '../abuse/client-blocking.ts';

export interface TransactionFilterDependencies {
  /** The rules in force (hot-reloaded: asked again for every item). */
  readonly rules: () => readonly FilterRule[];
  readonly blocking: ClientBlocking;
  /** SMTP_FILTER_BLOCK_TIME, for rules with the S flag. */
  readonly blockTimeMs: number;
}

interface FilterSession {
  /** Client address (blocked by RS/BS rules). */
  readonly address: string;
  readonly log: BlockingLogger;
}

export interface TransactionFilter {
  /**
   * Applies SMTP_FILTER_FILE to one item of a session: resolves with the reply that
   * refuses it (a 421 from a D rule also closes the connection), or undefined to go
   * on as without filters (no rule matched, or an X rule accepted the item).
   */
  check(item: FilterItem, session: FilterSession): Promise<SmtpReply | undefined>;
}

const MAX_LOGGED_VALUE = 200;

/** The adapter between the pure filter decision and the SMTP hooks. */
export function createTransactionFilter(deps: TransactionFilterDependencies): TransactionFilter {
  return {
    async check(item, session) {
      const decision = evaluateFilter(deps.rules(), item);
      if (decision.kind === 'continue') return undefined;
      const { rule } = decision;
      session.log.info(
        {
          event: 'smtp.filter.matched',
          rule: rule.line,
          type: rule.type,
          action: rule.action,
          // A Subject may be personal; the envelope and HELO are logged elsewhere anyway.
          ...(item.type === 'S' ? {} : { value: item.value.slice(0, MAX_LOGGED_VALUE) }),
          ...(decision.kind === 'accept' ? {} : { reply: formatReply(decision.reply) }),
          ...(decision.kind === 'disconnect' ? { text: decision.logText } : {}),
        },
        `filter rule on line ${String(rule.line)} matched`,
      );
      switch (decision.kind) {
        case 'accept':
          return undefined;
        case 'disconnect':
          return decision.reply;
        case 'reject':
          if (decision.blockClient) {
            await deps.blocking.blockForFilter(
              session.address,
              deps.blockTimeMs,
              rule.line,
              session.log,
            );
          }
          return decision.reply;
      }
    },
  };
}
