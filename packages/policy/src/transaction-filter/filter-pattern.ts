import { inRanges, type CharSet } from './char-set.ts';
import { parsePatternSyntax, type CharPredicate, type PatternToken } from './pattern-syntax.ts';

// Mercury patterns compiled to a Thompson NFA and simulated with a state set:
// O(input length x pattern length) in the worst case, never backtracking, so no
// pattern an operator writes and no HELO/address/Subject a client sends can make
// matching slow. No RegExp is ever built from the pattern (docs/adr/008).

export interface FilterMatcher {
  /** The pattern as written in the rule file, `/c` included. */
  readonly source: string;
  readonly caseSensitive: boolean;
  /** Whole-string match of `value` against the pattern. */
  matches(value: string): boolean;
}

export type FilterPatternResult =
  | { readonly ok: true; readonly matcher: FilterMatcher }
  | { readonly ok: false; readonly message: string };

/**
 * One NFA state per node: `repeat: false` consumes exactly one character passing
 * `test` and moves on; `repeat: true` consumes zero or more (a self-loop plus an
 * empty move to the next node). `*` is a repeating any-character node and `x+` is
 * `x` followed by a repeating `x`.
 */
interface NfaNode {
  readonly test: CharTest;
  readonly repeat: boolean;
}

/** One input character with its case variants, computed once per position. */
interface InputChar {
  readonly char: string;
  readonly codePoint: number;
  readonly lower: string;
  readonly upper: string;
}

type CharTest = (input: InputChar) => boolean;

export function compileFilterPattern(pattern: string): FilterPatternResult {
  const parsed = parsePatternSyntax(pattern);
  if (!parsed.ok) return parsed;
  const { caseSensitive, tokens } = parsed.syntax;
  const nodes = tokens.flatMap((token) => toNodes(token, caseSensitive));
  const matcher: FilterMatcher = Object.freeze({
    source: pattern,
    caseSensitive,
    matches: (value: string) => simulate(nodes, value, caseSensitive),
  });
  return { ok: true, matcher };
}

const anyChar: CharTest = () => true;

function toNodes(token: PatternToken, caseSensitive: boolean): NfaNode[] {
  if (token.kind === 'star') return [{ test: anyChar, repeat: true }];
  const test = compilePredicate(token.predicate, caseSensitive);
  const once: NfaNode = { test, repeat: false };
  return token.oneOrMore ? [once, { test, repeat: true }] : [once];
}

function compilePredicate(predicate: CharPredicate, caseSensitive: boolean): CharTest {
  switch (predicate.kind) {
    case 'any':
      return anyChar;
    case 'literal': {
      const { char } = predicate;
      if (caseSensitive) return (input) => input.char === char;
      const lower = char.toLowerCase();
      const upper = char.toUpperCase();
      return (input) => input.char === char || input.lower === lower || input.upper === upper;
    }
    case 'set': {
      const { set } = predicate;
      if (caseSensitive) return (input) => inRanges(set, input.codePoint) !== set.negated;
      return (input) => {
        const member =
          inRanges(set, input.codePoint) ||
          inRangesOf(set, input.lower) ||
          inRangesOf(set, input.upper);
        return member !== set.negated;
      };
    }
  }
}

function simulate(nodes: readonly NfaNode[], value: string, caseSensitive: boolean): boolean {
  const accept = nodes.length;
  // Two state lists, swapped each step; a state is in at most one slot per list.
  let current = new Int32Array(accept + 1);
  let next = new Int32Array(accept + 1);
  let nextCount = 0;
  // seen[state] === generation: the state is already in the list being built.
  const seen = new Int32Array(accept + 1).fill(-1);
  let generation = 0;

  const addNext = (start: number): void => {
    // A repeating node may match nothing, so its successor is reachable too.
    for (let state = start; seen[state] !== generation; state += 1) {
      seen[state] = generation;
      next[nextCount++] = state;
      if (state === accept || !(nodes[state]?.repeat ?? false)) return;
    }
  };

  addNext(0);
  for (const char of value) {
    [current, next] = [next, current];
    const currentCount = nextCount;
    nextCount = 0;
    if (currentCount === 0) return false;
    const input = describe(char, caseSensitive);
    generation += 1;
    for (let slot = 0; slot < currentCount; slot += 1) {
      const state = current[slot] ?? accept;
      const node = nodes[state];
      if (node === undefined || !node.test(input)) continue;
      addNext(node.repeat ? state : state + 1);
    }
  }
  return seen[accept] === generation;
}

function describe(char: string, caseSensitive: boolean): InputChar {
  const codePoint = char.codePointAt(0) ?? 0;
  if (caseSensitive) return { char, codePoint, lower: char, upper: char };
  return { char, codePoint, lower: char.toLowerCase(), upper: char.toUpperCase() };
}

/** A case variant only counts when it is itself one character (not `ß` -> `SS`). */
function inRangesOf(set: CharSet, variant: string): boolean {
  const codePoint = variant.codePointAt(0) ?? 0;
  const single = variant.length === (codePoint > 0xffff ? 2 : 1);
  return single && inRanges(set, codePoint);
}
