import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileFilterPattern } from '../src/index.ts';

interface Row {
  readonly pattern: string;
  readonly matches: readonly string[];
  readonly misses: readonly string[];
}

function matcherFor(pattern: string) {
  const compiled = compileFilterPattern(pattern);
  if (!compiled.ok) assert.fail(`"${pattern}" does not compile: ${compiled.message}`);
  return compiled.matcher;
}

function check(rows: Readonly<Record<string, Row>>): void {
  for (const [construct, row] of Object.entries(rows)) {
    it(`${construct}: ${JSON.stringify(row.pattern)}`, () => {
      const matcher = matcherFor(row.pattern);
      for (const input of row.matches) {
        assert.equal(matcher.matches(input), true, `should match ${JSON.stringify(input)}`);
      }
      for (const input of row.misses) {
        assert.equal(matcher.matches(input), false, `should not match ${JSON.stringify(input)}`);
      }
    });
  }
}

describe('compileFilterPattern: each construct (whole-string match)', () => {
  check({
    'literal text is anchored at both ends': {
      pattern: 'spam',
      matches: ['spam', 'SPAM', 'Spam'],
      misses: ['', 'spa', 'spams', 'xspam', 'a spam b'],
    },
    'empty pattern matches only the empty string (null sender)': {
      pattern: '',
      matches: [''],
      misses: [' ', 'a'],
    },
    '* is any run of characters, none included': {
      pattern: '*@*.spam.com',
      matches: ['joe@mail.spam.com', '@.spam.com', 'a@b.c.SPAM.COM'],
      misses: ['joe@spam.com', 'joe@mail.spam.com.au'],
    },
    'a lone * matches everything': {
      pattern: '*',
      matches: ['', 'x', 'EHLO printer.lan'],
      misses: [],
    },
    '** is the same as *': {
      pattern: 'a**b',
      matches: ['ab', 'axxb'],
      misses: ['a', 'ba'],
    },
    '? is exactly one character': {
      pattern: 'v?agra',
      matches: ['v1agra', 'VIAGRA', 'v agra'],
      misses: ['vagra', 'v12agra'],
    },
    '? counts a code point, not a UTF-16 unit': {
      pattern: 'a?b',
      matches: ['a😀b', 'aéb'],
      misses: ['a😀😀b'],
    },
    '. is a literal dot': {
      pattern: 'a.b',
      matches: ['a.b'],
      misses: ['axb', 'a.xb'],
    },
    'set of single characters': {
      pattern: '[xyz]1',
      matches: ['x1', 'Y1', 'z1'],
      misses: ['a1', 'x', '1', 'xy1'],
    },
    'set with ranges': {
      pattern: '[a-c0-9_]',
      matches: ['a', 'B', 'c', '0', '5', '9', '_'],
      misses: ['d', '-', ' ', ''],
    },
    'negated set [^...] (documented by the Mercury manual)': {
      pattern: '[^0-9]*',
      matches: ['x123', 'x', ' 1'],
      misses: ['1abc', ''],
    },
    '] first in a set is a member': {
      pattern: '[]x]',
      matches: [']', 'x'],
      misses: ['[', ''],
    },
    '] first after ^ is a member of the negated set': {
      pattern: '[^]]',
      matches: ['a', '['],
      misses: [']'],
    },
    '- first or last in a set is a member': {
      pattern: '[-a][b-]',
      matches: ['-b', 'a-', '--'],
      misses: ['ac', 'xb'],
    },
    'sets escape the metacharacters': {
      pattern: '[*][?][+][[]',
      matches: ['*?+['],
      misses: ['x?+[', 'aaaa'],
    },
    '! and ^ not first are ordinary set members': {
      pattern: '[!a^]',
      matches: ['!', 'a', '^'],
      misses: ['b'],
    },
    '] outside a set is literal': {
      pattern: 'a]',
      matches: ['a]'],
      misses: ['a'],
    },
    '+ after a literal: one or more of it': {
      pattern: 'LO +x',
      matches: ['LO x', 'LO    x'],
      misses: ['LOx', 'LO  y'],
    },
    '+ after a set: one or more members, not the same one': {
      pattern: '[0-9]+.',
      matches: ['1.', '192.', '907.'],
      misses: ['.', 'a.', '19a.'],
    },
    '+ after ?: one or more of anything': {
      pattern: 'a?+b',
      matches: ['axb', 'axyzb', 'abb'],
      misses: ['ab'],
    },
    '+ at the start is a literal +': {
      pattern: '+1*',
      matches: ['+1 555 0100', '+1'],
      misses: ['1', '11'],
    },
    '+ after * is a literal +': {
      pattern: '*+',
      matches: ['+', 'c++', 'a+'],
      misses: ['', 'a'],
    },
    '+ after + is a literal +': {
      pattern: '*C++*',
      matches: ['I like C++', 'C+', 'CCC+ rating'],
      misses: ['C', 'I like C'],
    },
    '\\ is an ordinary character (no escapes)': {
      pattern: 'a\\*',
      matches: ['a\\', 'a\\b'],
      misses: ['a*', 'ab'],
    },
    '/ not at the start is literal, /c inside too': {
      pattern: 'a/cB',
      matches: ['a/cb', 'A/CB'],
      misses: ['aB'],
    },
    '/w and /W are literal here (docs/reference.md), unlike in Mercury content control': {
      pattern: 'RE/w:',
      matches: ['re/w:'],
      misses: ['RE:', 'RE :'],
    },
  });
});

describe('compileFilterPattern: case rules', () => {
  check({
    'case-insensitive by default': {
      pattern: 'Hello*',
      matches: ['HELLO there', 'hello', 'hElLo'],
      misses: ['hallo'],
    },
    'sets ignore case by default, ranges included': {
      pattern: '[A-C][x]',
      matches: ['aX', 'Bx', 'cX'],
      misses: ['dx'],
    },
    'negated sets ignore case by default': {
      pattern: '[^a-z]',
      matches: ['1', '-'],
      misses: ['a', 'A', 'Q'],
    },
    'non-ASCII letters fold too': {
      pattern: 'ÄRGER*',
      matches: ['ärger', 'Ärger im Büro'],
      misses: ['arger'],
    },
    '/c at the start makes the match case-sensitive': {
      pattern: '/c*CONGRATULATIONS*WON*',
      matches: ['CONGRATULATIONS! YOU WON', 'Hi CONGRATULATIONS you WON'],
      misses: ['Congratulations, you won', 'CONGRATULATIONS you won'],
    },
    '/c is not part of the pattern': {
      pattern: '/cAbc',
      matches: ['Abc'],
      misses: ['/cAbc', 'abc', 'ABC'],
    },
    '/c makes sets case-sensitive': {
      pattern: '/c[A-Z]+',
      matches: ['ABC'],
      misses: ['AbC', 'abc'],
    },
    '/C (capital) is not the marker': {
      pattern: '/CAbc',
      matches: ['/cabc', '/CABC'],
      misses: ['Abc'],
    },
  });

  it('reports the case mode and keeps the source', () => {
    assert.deepEqual(
      [matcherFor('/cX').caseSensitive, matcherFor('X').caseSensitive, matcherFor('/cX').source],
      [true, false, '/cX'],
    );
  });
});

describe('compileFilterPattern: errors', () => {
  const rows: readonly (readonly [pattern: string, message: string])[] = [
    ['[abc', 'unclosed "[" at column 1'],
    ['ab[', 'unclosed "[" at column 3'],
    ['[]', 'unclosed "[" at column 1'],
    ['[^]', 'unclosed "[" at column 1'],
    ['/c[a', 'unclosed "[" at column 3'],
    ['x[z-a]', 'reversed range "z-a" in set at column 2'],
  ];
  for (const [pattern, message] of rows) {
    it(JSON.stringify(pattern), () => {
      assert.deepEqual(compileFilterPattern(pattern), { ok: false, message });
    });
  }
});
