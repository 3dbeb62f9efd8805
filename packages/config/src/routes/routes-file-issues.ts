import type * as z from 'zod';
import { quote } from '../errors.ts';
import { SECRET_KEY_HINTS } from './route-schema.ts';

// zod's findings in SMART_HOST_ROUTES_FILE as the operator reads them: each names its
// place in the file (`routes[1].smartHost.port: expected a number, got "587"`).

/** One problem found in the file: where, and what. */
export interface FileProblem {
  /** `routes[1].smartHost.port`; '' for the file as a whole */
  readonly at: string;
  readonly message: string;
}

const EXPECTED: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a map of keys',
};

function describeValue(value: unknown): string {
  if (value === null) return 'nothing';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return Array.isArray(value) ? 'a list' : 'a map of keys';
}

/** The parse-wide error map: types in YAML's words, a missing key as `required`. */
export function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code !== 'invalid_type') return undefined;
  if (issue.input === undefined) return 'required';
  const expected = EXPECTED[issue.expected] ?? issue.expected;
  return `expected ${expected}, got ${describeValue(issue.input)}`;
}

/** `['routes', 1, 'smartHost']` → `routes[1].smartHost` */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, index) =>
      typeof part === 'number' ? `[${String(part)}]` : `${index === 0 ? '' : '.'}${String(part)}`,
    )
    .join('');
}

/** zod's issues, an unknown key each its own problem at its own place. */
export function fileProblems(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PropertyKey[] = [],
): FileProblem[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code !== 'unrecognized_keys') {
      return [{ at: formatPath(path), message: issue.message }];
    }
    return issue.keys.map((key) => {
      const hint = SECRET_KEY_HINTS.get(key);
      return {
        at: formatPath([...path, key]),
        message:
          hint === undefined
            ? issue.message
            : `not allowed: no secret is written in this file; set ${hint}, the path of a file holding it`,
      };
    });
  });
}
