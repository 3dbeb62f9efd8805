import { compileFilterPattern } from './filter-pattern.ts';
import {
  FILTER_ACTIONS,
  FILTER_ITEM_TYPES,
  type FilterAction,
  type FilterFileProblem,
  type FilterItemType,
  type FilterRule,
  type ParsedFilterFile,
} from './filter-rule.ts';

// Parses a Mercury transflt.mer as it is: one `TYPE, "pattern", ACTION, "text"` per line.
//
// - Blank lines and lines whose first non-blank character is `#` are ignored (the
//   only comment Mercury's transflt.mer documents). CRLF and a UTF-8 BOM are fine.
// - Blanks (spaces, tabs) around every field and comma are ignored.
// - TYPE and ACTION are case-insensitive. The comma before the text may be left out
//   (the 2003 transflt.mer header documents `<Action> ["Response"]`) and so may the text.
// - Quoted strings have no escapes (`\` is an ordinary character, as in patterns).
//   The pattern ends at the first `"` that is followed by blanks and a comma; the
//   text ends at the line's last `"`. So quotes inside need no escaping at all
//   (`S, "*"free"*", R, "554 No "free" offers"`), except that a pattern cannot
//   contain `",`; write `"[,]` for it.
// - A line that does not parse is reported with its number and skipped; parsing
//   never throws and the other lines still count.

const BLANKS = /^[ \t]*/;
const PATTERN_END = /"[ \t]*,/;

type Field<T> = { readonly ok: true; readonly value: T; readonly rest: string } | FieldError;
interface FieldError {
  readonly ok: false;
  readonly message: string;
}

export function parseFilterFile(text: string): ParsedFilterFile {
  const rules: FilterRule[] = [];
  const problems: FilterFileProblem[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);

  lines.forEach((rawLine, index) => {
    const line = index + 1;
    const content = rawLine.trim();
    if (content === '' || content.startsWith('#')) return;
    const parsed = parseRuleLine(content, line);
    if (parsed.ok) rules.push(parsed.value);
    else problems.push({ line, message: parsed.message });
  });
  return { rules, problems };
}

function parseRuleLine(content: string, line: number): Field<FilterRule> {
  const type = readType(content);
  if (!type.ok) return type;
  const pattern = readPattern(type.rest);
  if (!pattern.ok) return pattern;
  const compiled = compileFilterPattern(pattern.value);
  if (!compiled.ok) return fail(`invalid pattern "${pattern.value}": ${compiled.message}`);
  const action = readAction(pattern.rest);
  if (!action.ok) return action;
  const responseText = readText(action.rest);
  if (!responseText.ok) return responseText;
  const rule: FilterRule = {
    line,
    type: type.value,
    matcher: compiled.matcher,
    action: action.value,
    text: responseText.value,
  };
  return { ok: true, value: Object.freeze(rule), rest: '' };
}

function readType(content: string): Field<FilterItemType> {
  const comma = content.indexOf(',');
  const field = (comma === -1 ? content : content.slice(0, comma)).trim();
  const type = FILTER_ITEM_TYPES.find((candidate) => candidate === field.toUpperCase());
  if (type === undefined) {
    if (field.toUpperCase() === 'D') {
      return fail('type "D" (Mercury\'s deferred HELO test) is not supported; use H, M, R or S');
    }
    return fail(`unknown type "${field}": expected H, M, R or S (comments start with #)`);
  }
  if (comma === -1) return fail('expected a comma and a quoted pattern after the type');
  return { ok: true, value: type, rest: content.slice(comma + 1) };
}

function readPattern(rest: string): Field<string> {
  const start = skipBlanks(rest);
  if (!start.startsWith('"')) return fail('expected a quoted pattern after the type');
  const body = start.slice(1);
  const end = PATTERN_END.exec(body);
  if (end === null) {
    return fail('the pattern must be closed by a quote followed by a comma and the action');
  }
  return {
    ok: true,
    value: body.slice(0, end.index),
    rest: body.slice(end.index + end[0].length),
  };
}

function readAction(rest: string): Field<FilterAction> {
  const start = skipBlanks(rest);
  const token = /^[^\s,"]*/.exec(start)?.[0] ?? '';
  if (token === '') return fail('expected an action (R, B, D, X, RS or BS) after the pattern');
  const action = FILTER_ACTIONS.find((candidate) => candidate === token.toUpperCase());
  if (action === undefined) {
    return fail(
      `unknown action "${token}": expected R, B, D, X, RS or BS ` +
        "(Mercury's F and L actions and the N and - modifiers are not supported)",
    );
  }
  return { ok: true, value: action, rest: start.slice(token.length) };
}

function readText(rest: string): Field<string> {
  let start = skipBlanks(rest);
  if (start.startsWith(',')) {
    start = skipBlanks(start.slice(1));
    if (start === '') return fail('expected a quoted text after the last comma');
  }
  if (start === '') return { ok: true, value: '', rest: '' };
  if (!start.startsWith('"')) return fail('the text after the action must be quoted');
  const close = start.lastIndexOf('"');
  if (close === 0) return fail('the text has no closing quote');
  if (start.slice(close + 1).trim() !== '') {
    return fail('unexpected characters after the closing quote of the text');
  }
  return { ok: true, value: start.slice(1, close), rest: '' };
}

function skipBlanks(text: string): string {
  return text.slice(BLANKS.exec(text)?.[0].length ?? 0);
}

function fail(message: string): FieldError {
  return { ok: false, message };
}
