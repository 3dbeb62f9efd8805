import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSendersFile } from '../src/index.ts';
import type { SenderPattern } from '../src/sender-pattern.ts';

// SMTP_SENDERS_FILE (docs/reference.md "Sender address rules"): the rules each
// file gives, and the lines it reports by number.

interface Row {
  readonly rule: string;
  readonly text: string;
  /** Each user's patterns, written back as text (`*`, `*@domain`, `user@domain`). */
  readonly rules: Readonly<Record<string, readonly string[]>>;
  /** Line number and a fragment of the message. */
  readonly problems?: readonly (readonly [line: number, fragment: string])[];
}

const rows: readonly Row[] = [
  { rule: 'an empty file lists nobody', text: '', rules: {} },
  {
    rule: 'one user, one address',
    text: 'printer scan@example.com',
    rules: { printer: ['scan@example.com'] },
  },
  {
    rule: 'patterns separated by commas, with or without spaces',
    text: 'printer scan@example.com,*@lan.test , fax@example.com',
    rules: { printer: ['scan@example.com', '*@lan.test', 'fax@example.com'] },
  },
  {
    rule: 'a trailing comma is harmless',
    text: 'printer scan@example.com,',
    rules: { printer: ['scan@example.com'] },
  },
  {
    rule: 'tabs separate the user name too',
    text: 'printer\t*',
    rules: { printer: ['*'] },
  },
  {
    rule: 'addresses are kept lower-cased, user names as written',
    text: 'Printer Scan@Example.COM',
    rules: { Printer: ['scan@example.com'] },
  },
  {
    rule: 'comments, blank lines, CRLF, a byte order mark and outer white space',
    text: '\uFEFF# devices\r\n\r\n   # indented comment\r\n  printer *@example.com  \r\n',
    rules: { printer: ['*@example.com'] },
  },
  {
    rule: 'a user listed on several lines has the patterns of all of them',
    text: 'printer scan@example.com\nfax *@fax.test\nprinter *@lan.test',
    rules: { printer: ['scan@example.com', '*@lan.test'], fax: ['*@fax.test'] },
  },
  {
    rule: 'a malformed pattern is reported and skipped, the others on its line stay',
    text: '# header\nprinter scan@*,scan@example.com',
    rules: { printer: ['scan@example.com'] },
    problems: [[2, 'pattern "scan@*": a domain has no wildcard']],
  },
  {
    rule: 'a line of malformed patterns only: the user stays listed, with no address',
    text: 'printer\tscan\nfax *@fax.test',
    rules: { printer: [], fax: ['*@fax.test'] },
    problems: [[1, 'pattern "scan": expected']],
  },
  {
    rule: 'a user name alone: reported, the user stays listed with no address',
    text: 'fax *@fax.test\n\nprinter',
    rules: { fax: ['*@fax.test'], printer: [] },
    problems: [[3, 'found only the user name "printer"']],
  },
  {
    rule: 'a trailing comment is not a comment: its words are reported as patterns',
    text: 'printer *@lan.test # the HP',
    rules: { printer: ['*@lan.test'] },
    problems: [
      [1, 'pattern "#"'],
      [1, 'pattern "the"'],
      [1, 'pattern "HP"'],
    ],
  },
  {
    rule: 'problems carry the line number counted over comments and blank lines',
    text: '# one\n\nok *\n# four\nbad <scan@example.com>\nworse',
    rules: { ok: ['*'], bad: [], worse: [] },
    problems: [
      [5, 'without angle brackets'],
      [6, 'found only the user name'],
    ],
  },
];

function asText(pattern: SenderPattern): string {
  switch (pattern.kind) {
    case 'any':
      return '*';
    case 'domain':
      return `*@${pattern.domain}`;
    case 'address':
      return pattern.address;
  }
}

describe('parseSendersFile', () => {
  for (const row of rows) {
    it(row.rule, () => {
      const parsed = parseSendersFile(row.text);
      assert.deepEqual(
        Object.fromEntries(
          [...parsed.rules].map(([user, patterns]) => [user, patterns.map(asText)]),
        ),
        row.rules,
      );
      const expected = row.problems ?? [];
      assert.equal(parsed.problems.length, expected.length, JSON.stringify(parsed.problems));
      expected.forEach(([line, fragment], index) => {
        const problem = parsed.problems[index];
        assert.equal(problem?.line, line);
        assert.ok(problem.message.includes(fragment), problem.message);
      });
    });
  }
});
