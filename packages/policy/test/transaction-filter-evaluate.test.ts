import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  evaluateFilter,
  filterRejectReply,
  parseFilterFile,
  type FilterDecision,
  type FilterItem,
  type FilterItemType,
} from '../src/index.ts';

/** One line per decision: `continue`, `accept @2`, `reject 554 5.7.1 "No" block @3`, ... */
function summary(decision: FilterDecision): string {
  switch (decision.kind) {
    case 'continue':
      return 'continue';
    case 'accept':
      return `accept @${decision.rule.line}`;
    case 'reject': {
      const { code, enhanced, text } = decision.reply;
      const block = decision.blockClient ? ' block' : '';
      return `reject ${code} ${enhanced} ${JSON.stringify(text)}${block} @${decision.rule.line}`;
    }
    case 'disconnect': {
      const { code, enhanced } = decision.reply;
      return `disconnect ${code} ${enhanced} log ${JSON.stringify(decision.logText)} @${decision.rule.line}`;
    }
  }
}

function rulesOf(text: string) {
  const parsed = parseFilterFile(text);
  assert.deepEqual(parsed.problems, []);
  return parsed.rules;
}

function item(type: FilterItemType, value: string): FilterItem {
  return { type, value };
}

describe('evaluateFilter: actions', () => {
  const rules = rulesOf(
    [
      'H, "HELO reject", R, "554 Invalid HELO format"',
      'H, "HELO bounce", B, "550 5.7.0 Go away"',
      'H, "HELO drop", D, "dropped a known spammer"',
      'H, "HELO accept", X, ""',
      'H, "HELO reject-block", RS, "554 Blocked"',
      'H, "HELO bounce-block", BS, "421 4.7.0 Try later, elsewhere"',
      'H, "HELO *", R, "554 Nobody"',
    ].join('\n'),
  );
  const rows: readonly (readonly [value: string, expected: string])[] = [
    ['HELO reject', 'reject 554 5.7.1 "Invalid HELO format" @1'],
    ['HELO bounce', 'reject 550 5.7.0 "Go away" @2'],
    ['HELO drop', 'disconnect 421 4.7.0 log "dropped a known spammer" @3'],
    ['HELO accept', 'accept @4'],
    ['HELO reject-block', 'reject 554 5.7.1 "Blocked" block @5'],
    ['HELO bounce-block', 'reject 421 4.7.0 "Try later, elsewhere" block @6'],
    ['HELO anyone', 'reject 554 5.7.1 "Nobody" @7'],
    ['EHLO anyone', 'continue'],
  ];
  for (const [value, expected] of rows) {
    it(`${value} -> ${expected}`, () => {
      assert.equal(summary(evaluateFilter(rules, item('H', value))), expected);
    });
  }
});

describe('evaluateFilter: order and types', () => {
  const rules = rulesOf(
    [
      'R, "postmaster@*", X, ""',
      'R, "*@example.com", R, "550 No such domain here"',
      'M, "*@example.com", R, "553 Sender refused"',
      'S, "*@example.com", R, "554 Subject refused"',
      'R, "post*", R, "550 never reached for postmaster"',
    ].join('\n'),
  );
  const rows: readonly (readonly [item: FilterItem, expected: string])[] = [
    [item('R', 'postmaster@example.com'), 'accept @1'],
    [item('R', 'sales@example.com'), 'reject 550 5.7.1 "No such domain here" @2'],
    [item('R', 'postbox@other.test'), 'reject 550 5.7.1 "never reached for postmaster" @5'],
    [item('M', 'postmaster@example.com'), 'reject 553 5.7.1 "Sender refused" @3'],
    [item('S', 'mail for x@example.com'), 'reject 554 5.7.1 "Subject refused" @4'],
    [item('H', 'EHLO x@example.com'), 'continue'],
    [item('M', ''), 'continue'],
  ];
  for (const [input, expected] of rows) {
    it(`${input.type} ${JSON.stringify(input.value)} -> ${expected}`, () => {
      assert.equal(summary(evaluateFilter(rules, input)), expected);
    });
  }

  it('no rules: continue', () => {
    assert.equal(summary(evaluateFilter([], item('H', 'EHLO x'))), 'continue');
  });
});

describe('filterRejectReply: the reply from the rule text', () => {
  const rows: readonly (readonly [text: string, expected: string])[] = [
    ['554 Invalid HELO format', '554 5.7.1 Invalid HELO format'],
    ['550 5.7.1 Relaying denied', '550 5.7.1 Relaying denied'],
    ['553 5.1.8 Bad sender domain', '553 5.1.8 Bad sender domain'],
    ['450 Try again later', '450 4.7.1 Try again later'],
    ['451 4.7.1 Greylisted', '451 4.7.1 Greylisted'],
    ['554 4.7.1 Class disagrees', '554 5.7.1 Class disagrees'],
    ['450 5.7.1 Class disagrees', '450 4.7.1 Class disagrees'],
    ['554\tTabbed', '554 5.7.1 Tabbed'],
    ['  554   Spaced  ', '554 5.7.1 Spaced'],
    ['554', '554 5.7.1 Refused by transaction filter'],
    ['554 5.7.1', '554 5.7.1 Refused by transaction filter'],
    ['', '554 5.7.1 Refused by transaction filter'],
    ['Go away', '554 5.7.1 Go away'],
    ['250 Not a refusal', '554 5.7.1 250 Not a refusal'],
    ['354 Not a refusal', '554 5.7.1 354 Not a refusal'],
    ['600 Out of range', '554 5.7.1 600 Out of range'],
    ['5544 Four digits', '554 5.7.1 5544 Four digits'],
    ['554-Continuation', '554 5.7.1 554-Continuation'],
    ['554 5.7.1000 Bad enhanced', '554 5.7.1 5.7.1000 Bad enhanced'],
    ['554 Possibly Nigerian 419 Variant', '554 5.7.1 Possibly Nigerian 419 Variant'],
  ];
  for (const [text, expected] of rows) {
    it(`${JSON.stringify(text)} -> ${expected}`, () => {
      const reply = filterRejectReply(text);
      assert.equal(`${reply.code} ${reply.enhanced} ${reply.text}`, expected);
    });
  }
});
