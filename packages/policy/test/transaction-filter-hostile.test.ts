import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileFilterPattern } from '../src/index.ts';
import { parsePatternSyntax, type PatternToken } from '../src/transaction-filter/pattern-syntax.ts';

// Inputs sized so that a backtracking matcher would run for minutes or forever
// (`*a*a*a*a*a*a*a*a*b` on 50,000 `a`s is O(n^8) for one); the state-set matcher
// answers each in milliseconds. Nothing is timed: finishing is the assertion.

function matches(pattern: string, input: string): boolean {
  const compiled = compileFilterPattern(pattern);
  if (!compiled.ok) assert.fail(compiled.message);
  return compiled.matcher.matches(input);
}

const A_50K = 'a'.repeat(50_000);

describe('compileFilterPattern: hostile patterns and inputs finish', () => {
  const rows: readonly (readonly [
    name: string,
    pattern: string,
    input: string,
    expected: boolean,
  ])[] = [
    ['nested stars, no b', '*a*a*a*a*a*a*a*a*b', A_50K, false],
    ['nested stars, b at the end', '*a*a*a*a*a*a*a*a*b', `${A_50K}b`, true],
    ['chained pluses, no b', 'a+a+a+a+a+b', A_50K, false],
    ['chained pluses, b at the end', 'a+a+a+a+a+b', `${A_50K}b`, true],
    ['? and * interleaved', '*?*?*?*?*?*?*?*?*x', A_50K, false],
    ['? pluses', '?+?+?+?+?+?+x', A_50K, false],
    ['set pluses', '[a-z]+[a-z]+[a-z]+[a-z]+!', A_50K, false],
    ['many stars (long pattern)', `${'*a'.repeat(200)}*b`, 'a'.repeat(20_000), false],
    ['long literal pattern', 'a'.repeat(5_000), 'a'.repeat(5_000), true],
    ['long literal pattern, one short', 'a'.repeat(5_000), 'a'.repeat(4_999), false],
    ['case folding on a long non-ASCII input', '*ß*ẞ*x', 'ß'.repeat(50_000), false],
  ];
  for (const [name, pattern, input, expected] of rows) {
    it(name, () => {
      assert.equal(matches(pattern, input), expected);
    });
  }

  it('a set written with thousands of ranges', () => {
    let set = '';
    for (let code = 0x4e00; code < 0x4e00 + 2 * 5_000; code += 2) {
      set += `${String.fromCodePoint(code)}-${String.fromCodePoint(code)}`;
    }
    const pattern = `[${set}]+`;
    assert.equal(matches(pattern, '\u4e00\u4e02'.repeat(25_000)), true);
    assert.equal(matches(pattern, `${'\u4e00'.repeat(50_000)}\u4e01`), false);
  });

  it('regex metacharacters in a pattern are plain characters (no injection)', () => {
    // `+` after `)` repeats the `)`: the pattern is `(`, `a`+, `)`+, `$`.
    assert.equal(matches('(a+)+$', '(aa))$'), true);
    assert.equal(matches('(a+)+$', 'aaaa'), false);
    assert.equal(matches('.*|x', 'anything'), false);
    assert.equal(matches('.*|x', '.|x'), true);
    assert.equal(matches('^a\\d{2}', '^a\\d{2}'), true);
    assert.equal(matches('^a\\d{2}', 'a11'), false);
  });
});

// The state-set matcher against a plain memoised recursion over the same tokens, on
// many small random patterns and inputs drawn from a tiny alphabet (so they match).
describe('compileFilterPattern agrees with a reference matcher', () => {
  it('on 3,000 random pattern/input pairs', () => {
    const random = seededRandom(0x5eed);
    const patternAlphabet = ['a', 'b', 'A', '*', '?', '+', '[ab]', '[^a]', '[a-b]+', '.'];
    const inputAlphabet = ['a', 'b', 'A', 'B', '.', 'c'];
    for (let round = 0; round < 3_000; round += 1) {
      const prefix = random() < 0.2 ? '/c' : '';
      const pattern = prefix + pick(random, patternAlphabet, Math.floor(random() * 7));
      const input = pick(random, inputAlphabet, Math.floor(random() * 9));
      const syntax = parsePatternSyntax(pattern);
      if (!syntax.ok) assert.fail(syntax.message);
      const expected = referenceMatch(syntax.syntax.tokens, input, syntax.syntax.caseSensitive);
      assert.equal(matches(pattern, input), expected, `${pattern} on ${JSON.stringify(input)}`);
    }
  });
});

function referenceMatch(tokens: readonly PatternToken[], input: string, sensitive: boolean) {
  const chars = Array.from(input);
  const memo = new Map<string, boolean>();
  const one = (token: PatternToken, char: string): boolean => {
    if (token.kind === 'star') return true;
    const { predicate } = token;
    const fold = (text: string) => (sensitive ? text : text.toLowerCase());
    if (predicate.kind === 'any') return true;
    if (predicate.kind === 'literal') return fold(predicate.char) === fold(char);
    const { set } = predicate;
    const candidates = sensitive ? [char] : [char, char.toLowerCase(), char.toUpperCase()];
    const member = candidates.some((candidate) => {
      const code = candidate.codePointAt(0) ?? 0;
      return Array.from(set.starts).some((start, i) => code >= start && code <= (set.ends[i] ?? 0));
    });
    return member !== set.negated;
  };
  const go = (t: number, i: number): boolean => {
    const key = `${t},${i}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    const token = tokens[t];
    let result: boolean;
    if (token === undefined) result = i === chars.length;
    else if (token.kind === 'star') {
      result = go(t + 1, i) || (i < chars.length && go(t, i + 1));
    } else {
      let j = i;
      result = false;
      while (j < chars.length && one(token, chars[j] ?? '')) {
        j += 1;
        if (go(t + 1, j)) {
          result = true;
          break;
        }
        if (!token.oneOrMore) break;
      }
    }
    memo.set(key, result);
    return result;
  };
  return go(0, 0);
}

function pick(random: () => number, alphabet: readonly string[], length: number): string {
  let text = '';
  for (let i = 0; i < length; i += 1)
    text += alphabet[Math.floor(random() * alphabet.length)] ?? '';
  return text;
}

/** mulberry32: a deterministic generator, so a failure reproduces. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
