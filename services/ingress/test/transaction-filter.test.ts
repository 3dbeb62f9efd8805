import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFilterFile, type FilterItemType } from '@smtp-relay/policy';
import { formatReply } from '@smtp-relay/smtp-errors';
import type { ClientBlocking } from '../src/abuse/client-blocking.ts';
import { createTransactionFilter } from '../src/filter/transaction-filter.ts';

// The adapter between the pure filter decision and the hooks: the reply, the
// block for S-flag rules, and the smtp.filter.matched log line.

const RULES = `
# sample
H, "[EHeh][EHeh]LO +[0-9]+.[0-9]+.[0-9]+.[0-9]+.*", X, ""
H, "EHLO *.bad", R, "554 Invalid HELO format"
M, "spam@*", R, "550 5.7.1 Sender refused"
M, "trap@*", BS, "554 Go away"
R, "*@blocked.test", B, ""
R, "kick@*", D, "disconnected a kicker"
S, "*viagra*", R, "554 Content refused"
S, "", RS, "554 Subject required"
`;

const CASES: readonly {
  type: FilterItemType;
  value: string;
  reply: string | undefined;
  matched?: { rule: number; action: string };
  blocked?: boolean;
}[] = [
  { type: 'H', value: 'EHLO printer.lan', reply: undefined },
  { type: 'H', value: 'EHLO 1.2.3.4.dsl.bad', reply: undefined, matched: { rule: 3, action: 'X' } },
  {
    type: 'H',
    value: 'ehlo host.bad',
    reply: '554 5.7.1 Invalid HELO format',
    matched: { rule: 4, action: 'R' },
  },
  { type: 'M', value: 'spam@example.test', reply: '550 5.7.1 Sender refused' },
  { type: 'M', value: 'trap@example.test', reply: '554 5.7.1 Go away', blocked: true },
  { type: 'M', value: '', reply: undefined },
  { type: 'R', value: 'x@blocked.test', reply: '554 5.7.1 Refused by transaction filter' },
  {
    type: 'R',
    value: 'kick@example.test',
    reply: '421 4.7.0 Service not available, closing transmission channel',
    matched: { rule: 8, action: 'D' },
  },
  { type: 'S', value: 'Buy VIAGRA now', reply: '554 5.7.1 Content refused' },
  { type: 'S', value: '', reply: '554 5.7.1 Subject required', blocked: true },
  { type: 'S', value: 'Quarterly report', reply: undefined },
];

describe('transaction filter', () => {
  for (const { type, value, reply, matched, blocked } of CASES) {
    it(`${type} ${JSON.stringify(value)} -> ${reply ?? 'passes'}`, async () => {
      const blocks: { address: string; ms: number; rule: number }[] = [];
      const blocking: ClientBlocking = {
        check: () => Promise.resolve(undefined),
        checkOnConnect: () => Promise.resolve(undefined),
        authFailed: () => Promise.resolve(undefined),
        blockForFilter: (address, ms, rule) => {
          blocks.push({ address, ms, rule });
          return Promise.resolve();
        },
      };
      const lines: Record<string, unknown>[] = [];
      const log = {
        info: (obj: object) => lines.push(obj as Record<string, unknown>),
        warn: () => undefined,
        error: () => undefined,
      };
      const { rules, problems } = parseFilterFile(RULES);
      assert.deepEqual(problems, []);
      const filter = createTransactionFilter({
        rules: () => rules,
        blocking,
        blockTimeMs: 1800_000,
      });
      const result = await filter.check({ type, value }, { address: '192.0.2.5', log });
      assert.equal(result === undefined ? undefined : formatReply(result), reply);
      assert.deepEqual(
        blocks,
        blocked ? [{ address: '192.0.2.5', ms: 1800_000, rule: blocks[0]?.rule ?? -1 }] : [],
      );
      if (matched) {
        assert.equal(lines.length, 1);
        assert.equal(lines[0]?.['event'], 'smtp.filter.matched');
        assert.equal(lines[0]['rule'], matched.rule);
        assert.equal(lines[0]['action'], matched.action);
        assert.equal(lines[0]['type'], type);
        if (matched.action === 'D') assert.equal(lines[0]['text'], 'disconnected a kicker');
      }
      if (reply === undefined && !matched) assert.deepEqual(lines, []);
      if (type === 'S')
        assert.ok(
          lines.every((line) => !('value' in line)),
          'no Subject in logs',
        );
    });
  }
});
