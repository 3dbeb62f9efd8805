import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compileFilterPattern,
  evaluateFilter,
  parseFilterFile,
  type FilterDecision,
  type FilterItemType,
} from '../src/index.ts';

function outcome(decision: FilterDecision): string {
  switch (decision.kind) {
    case 'continue':
      return 'continue';
    case 'accept':
      return `accept @${decision.rule.line}`;
    case 'reject':
      return `reject ${decision.reply.code}${decision.blockClient ? ' block' : ''} @${decision.rule.line}`;
    case 'disconnect':
      return `disconnect @${decision.rule.line}`;
  }
}

function run(file: string, rows: readonly (readonly [FilterItemType, string, string])[]): void {
  const parsed = parseFilterFile(file);
  it('the file parses without problems', () => {
    assert.deepEqual(parsed.problems, []);
  });
  for (const [type, value, expected] of rows) {
    it(`${type} ${JSON.stringify(value)} -> ${expected}`, () => {
      assert.equal(outcome(evaluateFilter(parsed.rules, { type, value })), expected);
    });
  }
}

// Mercury ships a rule refusing HELO/EHLO with an unbracketed dotted quad; RFC 5321
// §4.1.3 wants address literals in brackets (`EHLO [192.0.2.1]`). Its trailing `*`
// also catches valid host names that merely start with four numbers
// (`1.2.3.4.dsl.example.net`). The fix from the Mercury guide puts an X rule above
// it: `[0-9]+.*` after the fourth number needs a literal `.` there, so it accepts
// exactly those longer names and leaves bare dotted quads to the reject rule.
// The fix does NOT match `EHLO 192.168.1.20` (no `.` after the fourth number).
describe('Mercury guide: the RFC fix for IP-literal HELOs', () => {
  const fix = '[EHeh][EHeh]LO +[0-9]+.[0-9]+.[0-9]+.[0-9]+.*';
  const shipped = '[EHeh][EHeh]LO +[0-9]+.[0-9]+.[0-9]+.[0-9]*';

  describe('which HELO lines each pattern matches', () => {
    const rows: readonly (readonly [line: string, fix: boolean, shipped: boolean])[] = [
      ['EHLO 192.168.1.20', false, true],
      ['HELO 10.0.0.1', false, true],
      ['ehlo 10.0.0.1', false, true],
      ['EHLO    10.0.0.1', false, true],
      ['EHLO 1.2.3.4x', false, true],
      ['EHLO 192.168.1.20.', true, true],
      ['EHLO 1.2.3.4.dsl.example.net', true, true],
      ['EHLO 10.20.30.40.in-addr.example', true, true],
      ['EHLO [192.168.1.20]', false, false],
      ['EHLO printer.lan', false, false],
      ['EHLO 192.168.1', false, false],
      ['EHLO 192-168-1-20.isp.example', false, false],
      ['EHLO1.2.3.4', false, false],
      ['EHLOx 1.2.3.4', false, false],
      ['HHLO 1.2.3.4', false, true],
    ];
    const fixMatcher = compileFilterPattern(fix);
    const shippedMatcher = compileFilterPattern(shipped);
    if (!fixMatcher.ok || !shippedMatcher.ok) assert.fail('the Mercury patterns must compile');
    for (const [line, fixMatches, shippedMatches] of rows) {
      it(`${JSON.stringify(line)}: fix ${fixMatches}, shipped reject ${shippedMatches}`, () => {
        assert.equal(fixMatcher.matcher.matches(line), fixMatches);
        assert.equal(shippedMatcher.matcher.matches(line), shippedMatches);
      });
    }
  });

  describe('as a rule file: X above R', () => {
    run(
      [
        '# RFC fix from the Mercury guide, above the rule Mercury ships',
        `H, "${fix}", X, ""`,
        `H, "${shipped}", R, "554 Invalid HELO format"`,
      ].join('\r\n'),
      [
        ['H', 'EHLO 192.168.1.20', 'reject 554 @3'],
        ['H', 'EHLO 1.2.3.4.dsl.example.net', 'accept @2'],
        ['H', 'EHLO [192.168.1.20]', 'continue'],
        ['H', 'EHLO printer.lan', 'continue'],
      ],
    );
  });
});

// The Subject rule in the transflt.mer of Mercury/32 4.5, verbatim, and rules of
// the kinds Mercury's documentation suggests, as an operator would write them.
describe('Mercury sample and typical rules', () => {
  run(
    [
      '# Transaction-level filtering expressions for MercuryS',
      'S, "/c*CONGRATULATIONS*WON*", BS, "554 Possibly Nigerian 419 Variant - please change and re-send."',
      '# HELO claiming to be this server, or localhost',
      'H, "[EHeh][EHeh]LO relay.example.com", RS, "554 You are not me"',
      'H, "*localhost*", R, "554 Invalid HELO: localhost"',
      '# the null sender is fine, a forged local sender is not',
      'M, "", X, ""',
      'M, "*@example.com", R, "553 5.7.1 Forged local sender"',
      'M, "*@*.spam.com", D, "known spam domain in MAIL FROM"',
      '# recipients',
      'R, "postmaster@*", X, ""',
      'R, "*%*", R, "550 5.7.1 No source routing"',
      '# Subject spam patterns',
      'S, "*v?agra*", R, "554 Spam subject"',
      'S, "*[$][0-9]+,[0-9]+*", R, "554 Money subject"',
      'S, "RE[[][0-9]+][ :]*", X, ""',
    ].join('\n'),
    [
      ['S', 'CONGRATULATIONS, YOU HAVE WON!', 'reject 554 block @2'],
      ['S', 'Congratulations, you won the raffle at work', 'continue'],
      ['H', 'EHLO relay.example.com', 'reject 554 block @4'],
      ['H', 'HELO RELAY.EXAMPLE.COM', 'reject 554 block @4'],
      ['H', 'EHLO localhost.localdomain', 'reject 554 @5'],
      ['H', 'EHLO printer.lan', 'continue'],
      ['M', '', 'accept @7'],
      ['M', 'ceo@example.com', 'reject 553 @8'],
      ['M', 'ceo@example.com.evil.test', 'continue'],
      ['M', 'bulk@mx1.spam.com', 'disconnect @9'],
      ['R', 'postmaster@example.org', 'accept @11'],
      ['R', 'user%other.test@relay.example.com', 'reject 550 @12'],
      ['S', 'Cheap V1AGRA now', 'reject 554 @14'],
      ['S', 'Win $1,000,000 today', 'reject 554 @15'],
      ['S', 'Re[2]: Quarterly report', 'accept @16'],
      ['S', 'Quarterly report', 'continue'],
    ],
  );
});
