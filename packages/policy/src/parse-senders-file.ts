import { parseSenderPattern, type SenderPattern } from './sender-pattern.ts';

/** Who may use which MAIL FROM addresses: an SMTP AUTH user name and its patterns. */
export type SenderRules = ReadonlyMap<string, readonly SenderPattern[]>;

interface SendersFileProblem {
  /** 1-based line number in the file. */
  readonly line: number;
  readonly message: string;
}

export interface ParsedSendersFile {
  readonly rules: SenderRules;
  readonly problems: readonly SendersFileProblem[];
}

// White space as in SMTP_AUTH_FILE (parse-credentials.ts).
const OUTER_WHITE_SPACE = /^[ \t]+|[ \t]+$/g;
const FIELD_SEPARATOR = /[ \t]+/;
// Between patterns: commas, with or without white space around them (or white
// space alone); no address this relay takes holds either.
const PATTERN_SEPARATOR = /[ \t,]+/;

/**
 * Parses SMTP_SENDERS_FILE: one `username pattern[,pattern...]` per line
 * (docs/reference.md "Sender address rules").
 *
 * - The user name is the first white-space-separated token, compared exactly, as
 *   SMTP_AUTH_FILE compares it; the patterns are the rest of the line.
 * - Blank lines and lines whose first non-blank character is `#` are ignored.
 *   CRLF and a leading UTF-8 byte order mark are tolerated.
 * - A user named on several lines has the patterns of all of them.
 * - Each malformed pattern is reported with its line number and skipped, and so
 *   is a line with a user name alone; the user stays listed all the same, with
 *   whatever patterns remain (perhaps none): a typo restricts that user further,
 *   it never lifts the restriction the line was written for.
 */
export function parseSendersFile(text: string): ParsedSendersFile {
  const rules = new Map<string, SenderPattern[]>();
  const problems: SendersFileProblem[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);

  lines.forEach((rawLine, index) => {
    const line = index + 1;
    const content = rawLine.replace(OUTER_WHITE_SPACE, '');
    if (content === '' || content.startsWith('#')) return;

    const separator = FIELD_SEPARATOR.exec(content);
    const username = separator === null ? content : content.slice(0, separator.index);
    const patterns = rules.get(username) ?? [];
    rules.set(username, patterns);
    const patternText =
      separator === null ? '' : content.slice(separator.index + separator[0].length);
    const items = patternText.split(PATTERN_SEPARATOR).filter((item) => item !== '');
    if (items.length === 0) {
      problems.push({
        line,
        message:
          `expected "username pattern[,pattern...]", found only the user name "${username}" ` +
          '(still listed: this line allows no address)',
      });
      return;
    }
    for (const item of items) {
      const parsed = parseSenderPattern(item);
      if (parsed.ok) patterns.push(parsed.pattern);
      else problems.push({ line, message: `pattern ${parsed.problem} (skipped)` });
    }
  });
  return { rules, problems };
}
