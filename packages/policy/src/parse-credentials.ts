import { hashCostProblem } from './hash-limits.ts';
import { readStoredSecret, type StoredSecret } from './stored-secret.ts';

export interface CredentialsProblem {
  /** 1-based line number in the file. */
  readonly line: number;
  /** Says what is wrong without quoting the line: it may hold a password. */
  readonly message: string;
}

export interface ParsedCredentials {
  readonly users: ReadonlyMap<string, StoredSecret>;
  readonly problems: readonly CredentialsProblem[];
  /**
   * Users whose line was refused because its hash costs too much memory or time:
   * their logins are "temporarily unavailable" (454), not wrong passwords (535)
   * that would count towards blocking the device's address.
   */
  readonly costlyUsers: ReadonlySet<string>;
}

// White space as Mercury's files use it; other Unicode spaces stay part of a secret.
const FIELD_SEPARATOR = /[ \t]+/;
const OUTER_WHITE_SPACE = /^[ \t]+|[ \t]+$/g;

/**
 * Parses a Mercury-compatible credentials file: one `username secret` per line.
 *
 * - The username is the first white-space-separated token (compared exactly, case
 *   included); the secret is the rest of the line, trimmed, so a plain-text password
 *   may contain inner spaces (but cannot start with `$` or begin/end with a space).
 * - Blank lines and lines whose first non-blank character is `#` are ignored; a `#`
 *   later in a line is part of the secret (passwords may contain it).
 * - CRLF and a leading UTF-8 byte order mark (Windows Notepad) are tolerated.
 * - A line with no secret, a secret starting with `$` that is not a well-formed
 *   bcrypt/argon2/scrypt hash, a hash whose check would take more memory or time
 *   than allowed (hashCostProblem), or a username already defined is reported and
 *   skipped: the first definition of a user wins, so appending a line never
 *   overrides one.
 */
export function parseCredentials(text: string): ParsedCredentials {
  const users = new Map<string, StoredSecret>();
  const definedOnLine = new Map<string, number>();
  const problems: CredentialsProblem[] = [];
  const costlyUsers = new Set<string>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);

  lines.forEach((rawLine, index) => {
    const line = index + 1;
    const content = rawLine.replace(OUTER_WHITE_SPACE, '');
    if (content === '' || content.startsWith('#')) return;

    const separator = FIELD_SEPARATOR.exec(content);
    if (separator === null) {
      problems.push({ line, message: 'expected "username secret", found a single field' });
      return;
    }
    const username = content.slice(0, separator.index);
    const secretText = content.slice(separator.index + separator[0].length);

    const secret = readStoredSecret(secretText);
    if (secret === undefined) {
      problems.push({
        line,
        message:
          'secret starts with "$" but is not a well-formed bcrypt, argon2 or scrypt hash ' +
          '(a plain-text password cannot start with "$")',
      });
      return;
    }
    const costProblem = hashCostProblem(secret);
    if (costProblem !== undefined) {
      costlyUsers.add(username);
      problems.push({
        line,
        message: `${costProblem}; replace it with the output of \`npx smtp-relay passwd\``,
      });
      return;
    }
    const firstLine = definedOnLine.get(username);
    if (firstLine !== undefined) {
      problems.push({
        line,
        message: `duplicate username, already defined on line ${firstLine}; this line is ignored`,
      });
      return;
    }
    definedOnLine.set(username, line);
    users.set(username, secret);
  });

  // A name defined again on a good line is that line's user.
  for (const username of users.keys()) costlyUsers.delete(username);
  return { users, problems, costlyUsers };
}
