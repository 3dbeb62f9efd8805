import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFilterFile, type FilterRule } from '../src/index.ts';

/** A rule without its matcher: `TYPE "pattern" ACTION "text" @line`. */
function summary(rule: FilterRule): string {
  return `${rule.type} ${JSON.stringify(rule.matcher.source)} ${rule.action} ${JSON.stringify(rule.text)} @${rule.line}`;
}

interface Row {
  readonly text: string;
  readonly rules: readonly string[];
  readonly problems?: readonly (readonly [line: number, fragment: string])[];
}

function check(rows: Readonly<Record<string, Row>>): void {
  for (const [name, row] of Object.entries(rows)) {
    it(name, () => {
      const parsed = parseFilterFile(row.text);
      assert.deepEqual(parsed.rules.map(summary), row.rules);
      const problems = row.problems ?? [];
      assert.equal(
        parsed.problems.length,
        problems.length,
        `problems: ${JSON.stringify(parsed.problems)}`,
      );
      problems.forEach(([line, fragment], index) => {
        const problem = parsed.problems[index];
        assert.equal(problem?.line, line);
        assert.ok(problem.message.includes(fragment), `"${problem.message}" lacks "${fragment}"`);
      });
    });
  }
}

describe('parseFilterFile: well-formed lines', () => {
  check({
    'one rule of each type and action': {
      text: [
        'H, "*localhost*", R, "554 Go away"',
        'M, "*@example.com", B, "550 Forged"',
        'R, "postmaster@*", X, ""',
        'S, "*viagra*", D, "spam subject"',
        'S, "*lottery*", RS, "554 No"',
        'H, "*win*", BS, "554 No"',
      ].join('\n'),
      rules: [
        'H "*localhost*" R "554 Go away" @1',
        'M "*@example.com" B "550 Forged" @2',
        'R "postmaster@*" X "" @3',
        'S "*viagra*" D "spam subject" @4',
        'S "*lottery*" RS "554 No" @5',
        'H "*win*" BS "554 No" @6',
      ],
    },
    'type and action are case-insensitive': {
      text: 'h, "x", rs, "554 No"\nm, "y", x, ""',
      rules: ['H "x" RS "554 No" @1', 'M "y" X "" @2'],
    },
    'blank lines, # comments and indentation are ignored; line numbers stay true': {
      text: '# transflt.mer\n\n   \n\t# indented comment\n  H , "x" , R , "554 No"  \n',
      rules: ['H "x" R "554 No" @5'],
    },
    'no blanks around the commas': {
      text: 'H,"x",R,"554 No"',
      rules: ['H "x" R "554 No" @1'],
    },
    'tabs around the commas': {
      text: 'H\t,\t"x"\t,\tR\t,\t"554 No"',
      rules: ['H "x" R "554 No" @1'],
    },
    'CRLF line ends and a UTF-8 BOM (Windows Notepad)': {
      text: '\uFEFFH, "x", R, "554 No"\r\nM, "", X, ""\r\n',
      rules: ['H "x" R "554 No" @1', 'M "" X "" @2'],
    },
    'commas inside the quoted pattern and text': {
      text: 'S, "*hello, world*", R, "554 No, thanks, really"',
      rules: ['S "*hello, world*" R "554 No, thanks, really" @1'],
    },
    'quotes inside the pattern and the text need no escaping': {
      text: 'S, "*"free"*", R, "554 No "free" offers"',
      rules: ['S "*\\"free\\"*" R "554 No \\"free\\" offers" @1'],
    },
    'a comma inside a pattern right after a quote is written as a set': {
      text: 'S, "*"[,]*", R, "554 No"',
      rules: ['S "*\\"[,]*" R "554 No" @1'],
    },
    'backslashes are ordinary characters in both strings': {
      text: 'S, "*\\*", R, "554 C:\\temp"',
      rules: ['S "*\\\\*" R "554 C:\\\\temp" @1'],
    },
    'a # after the start of a line is part of the rule': {
      text: 'S, "*#1*", R, "554 #1 spam"',
      rules: ['S "*#1*" R "554 #1 spam" @1'],
    },
    'the text may be left out (Mercury: ["Response"] is optional)': {
      text: 'R, "postmaster@*", X',
      rules: ['R "postmaster@*" X "" @1'],
    },
    'the comma before the text may be left out (2003 transflt.mer layout)': {
      text: 'H, "x", R "554 No"',
      rules: ['H "x" R "554 No" @1'],
    },
    'an empty pattern (the null sender)': {
      text: 'M, "", R, "550 No bounces here"',
      rules: ['M "" R "550 No bounces here" @1'],
    },
  });
});

describe('parseFilterFile: bad lines are reported by number and skipped', () => {
  check({
    'unknown type': {
      text: 'H, "ok", X, ""\nQ, "x", R, "554 No"\nM, "ok2", X, ""',
      rules: ['H "ok" X "" @1', 'M "ok2" X "" @3'],
      problems: [[2, 'unknown type "Q"']],
    },
    'Mercury deferred HELO type D': {
      text: 'D, "x", R, "554 No"',
      rules: [],
      problems: [[1, 'type "D"']],
    },
    'a ; comment is not a comment in transflt.mer': {
      text: '; old comment',
      rules: [],
      problems: [[1, 'comments start with #']],
    },
    'type only': {
      text: 'H',
      rules: [],
      problems: [[1, 'expected a comma']],
    },
    'pattern not quoted': {
      text: 'H, x, R, "554 No"',
      rules: [],
      problems: [[1, 'expected a quoted pattern']],
    },
    'pattern never closed': {
      text: 'H, "x, R, 554 No',
      rules: [],
      problems: [[1, 'closed by a quote followed by a comma']],
    },
    'pattern closed but no action': {
      text: 'H, "x"',
      rules: [],
      problems: [[1, 'closed by a quote followed by a comma']],
    },
    'empty action': {
      text: 'H, "x",  , "554 No"',
      rules: [],
      problems: [[1, 'expected an action']],
    },
    'unknown action': {
      text: 'H, "x", Q, "554 No"',
      rules: [],
      problems: [[1, 'unknown action "Q"']],
    },
    "Mercury's F, L and N/- modifiers are unknown actions": {
      text: 'H, "x", F, "554 No"\nH, "x", L, "log"\nH, "x", RSN, "554 No"\nH, "x", R-, "554 No"',
      rules: [],
      problems: [
        [1, 'unknown action "F"'],
        [2, 'unknown action "L"'],
        [3, 'unknown action "RSN"'],
        [4, 'unknown action "R-"'],
      ],
    },
    'D and X take no S suffix': {
      text: 'H, "x", DS, "bye"\nH, "x", XS, ""',
      rules: [],
      problems: [
        [1, 'unknown action "DS"'],
        [2, 'unknown action "XS"'],
      ],
    },
    'text not quoted': {
      text: 'H, "x", R, 554 No',
      rules: [],
      problems: [[1, 'must be quoted']],
    },
    'text never closed': {
      text: 'H, "x", R, "554 No',
      rules: [],
      problems: [[1, 'no closing quote']],
    },
    'a trailing comma without a text': {
      text: 'H, "x", R,',
      rules: [],
      problems: [[1, 'expected a quoted text']],
    },
    'characters after the closing quote of the text': {
      text: 'H, "x", R, "554 No" # why',
      rules: [],
      problems: [[1, 'after the closing quote']],
    },
    'unclosed [ in the pattern': {
      text: 'H, "EHLO [abc", R, "554 No"',
      rules: [],
      problems: [[1, 'invalid pattern "EHLO [abc": unclosed "[" at column 6']],
    },
    'reversed range in the pattern': {
      text: 'H, "[9-0]*", R, "554 No"',
      rules: [],
      problems: [[1, 'reversed range "9-0"']],
    },
    'several bad lines between good ones': {
      text: 'X\nH, "a", X, ""\n\nH, "[", R, "554"\nS, "b", R, "554 No"\nM, "c", Z',
      rules: ['H "a" X "" @2', 'S "b" R "554 No" @5'],
      problems: [
        [1, 'unknown type'],
        [4, 'unclosed "["'],
        [6, 'unknown action "Z"'],
      ],
    },
  });

  it('never throws, whatever the input', () => {
    for (const text of ['"', ',,,', '""""', 'H,', 'H,"', 'H,"",', 'H,"",R,"', '\0\uFFFF\uD800']) {
      assert.doesNotThrow(() => parseFilterFile(text));
    }
  });

  it('an empty file has no rules and no problems', () => {
    assert.deepEqual(parseFilterFile(''), { rules: [], problems: [] });
  });
});
