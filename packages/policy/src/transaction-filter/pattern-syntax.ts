import { createCharSet, type CharSet } from './char-set.ts';

// Mercury's pattern language as docs/reference.md "Transaction filter rules" states it,
// plus `[^...]` negation, which the Mercury manual documents ("Set negation").
//
//   *      any run of characters, including none
//   ?      exactly one character
//   [...]  one character of a set; ranges `a-z`; `]` first is a member; `-` first
//          or last is a member; `[^...]` negated. Sets are also the escape
//          mechanism: `[*]`, `[?]`, `[+]`, `[[]` match those characters literally.
//   +      one or more of the preceding character, `?` or set. At the start, after
//          `*` or after another `+` there is nothing to repeat: a literal `+`.
//   /c     only as the first two characters: the match is case-sensitive.
//   else   literal, `.`, `]`, `\`, `!`, `^` and `/` included (Mercury has no escapes).
//
// "Character" means a Unicode code point, so `?` never splits a surrogate pair.

export type CharPredicate =
  | { readonly kind: 'literal'; readonly char: string }
  | { readonly kind: 'any' }
  | { readonly kind: 'set'; readonly set: CharSet };

export type PatternToken =
  | { readonly kind: 'star' }
  | { readonly kind: 'atom'; readonly predicate: CharPredicate; readonly oneOrMore: boolean };

interface PatternSyntax {
  readonly caseSensitive: boolean;
  readonly tokens: readonly PatternToken[];
}

export type PatternSyntaxResult =
  | { readonly ok: true; readonly syntax: PatternSyntax }
  | { readonly ok: false; readonly message: string };

const CASE_SENSITIVE_PREFIX = '/c';

export function parsePatternSyntax(pattern: string): PatternSyntaxResult {
  const caseSensitive = pattern.startsWith(CASE_SENSITIVE_PREFIX);
  const body = caseSensitive ? pattern.slice(CASE_SENSITIVE_PREFIX.length) : pattern;
  const chars = Array.from(body);
  // Columns in messages count code points of the pattern as written, `/c` included.
  const columnOffset = caseSensitive ? CASE_SENSITIVE_PREFIX.length + 1 : 1;
  const tokens: PatternToken[] = [];

  let index = 0;
  while (index < chars.length) {
    const char = chars[index] ?? '';
    const last = tokens.at(-1);
    if (char === '*') {
      // `**` is `*`: one star token keeps the automaton small.
      if (last?.kind !== 'star') tokens.push({ kind: 'star' });
      index += 1;
    } else if (char === '+' && last?.kind === 'atom' && !last.oneOrMore) {
      tokens[tokens.length - 1] = { ...last, oneOrMore: true };
      index += 1;
    } else if (char === '?') {
      tokens.push({ kind: 'atom', predicate: { kind: 'any' }, oneOrMore: false });
      index += 1;
    } else if (char === '[') {
      const parsed = parseSet(chars, index);
      if (!parsed.ok) {
        return { ok: false, message: `${parsed.message} at column ${index + columnOffset}` };
      }
      tokens.push({ kind: 'atom', predicate: { kind: 'set', set: parsed.set }, oneOrMore: false });
      index = parsed.next;
    } else {
      tokens.push({ kind: 'atom', predicate: { kind: 'literal', char }, oneOrMore: false });
      index += 1;
    }
  }
  return { ok: true, syntax: { caseSensitive, tokens } };
}

type SetResult =
  | { readonly ok: true; readonly set: CharSet; readonly next: number }
  | { readonly ok: false; readonly message: string };

/** Parses the set whose `[` is at `open`; `next` is the index after its `]`. */
function parseSet(chars: readonly string[], open: number): SetResult {
  let index = open + 1;
  const negated = chars[index] === '^';
  if (negated) index += 1;
  const firstMember = index;
  const ranges: (readonly [number, number])[] = [];

  while (index < chars.length) {
    const char = chars[index] ?? '';
    if (char === ']' && index > firstMember) {
      return { ok: true, set: createCharSet(ranges, negated), next: index + 1 };
    }
    const low = char.codePointAt(0) ?? 0;
    const dash = chars[index + 1];
    const highChar = chars[index + 2];
    // `a-z` is a range unless the `-` is the set's last character (`[a-]`).
    if (dash === '-' && highChar !== undefined && highChar !== ']') {
      const high = highChar.codePointAt(0) ?? 0;
      if (high < low) {
        return { ok: false, message: `reversed range "${char}-${highChar}" in set` };
      }
      ranges.push([low, high]);
      index += 3;
    } else {
      ranges.push([low, low]);
      index += 1;
    }
  }
  return { ok: false, message: 'unclosed "["' };
}
