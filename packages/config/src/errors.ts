/**
 * Thrown by the loaders. `problems` lists every problem found, each starting with
 * the variable it is about, so one failed start tells the operator everything to fix.
 * One problem is one line (an operator's one mistake); several are a list.
 */
export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(formatProblems('Invalid configuration', problems));
    this.name = 'ConfigError';
    this.problems = Object.freeze([...problems]);
  }
}

/** `title: problem` when there is one, else the title and a `  - problem` line each. */
export function formatProblems(title: string, problems: readonly string[]): string {
  return problems.length === 1
    ? `${title}: ${problems[0] ?? ''}`
    : `${title}:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`;
}

/**
 * Thrown by the value parsers (`parseDuration`, `parseSize`, ...). Each reason reads as
 * the rest of a sentence that starts with the variable name: `must be ..., got "x"`.
 * A list value (CIDRs, retry delays) can have one reason per bad entry.
 */
export class InvalidValueError extends Error {
  readonly reasons: readonly string[];

  constructor(...reasons: readonly [string, ...string[]]) {
    super(reasons.join('; '));
    this.name = 'InvalidValueError';
    this.reasons = Object.freeze([...reasons]);
  }
}

const MAX_QUOTED_LENGTH = 80;

/** A value as shown in a problem: quoted, control characters escaped, long ones cut. */
export function quote(value: string): string {
  const shown =
    value.length > MAX_QUOTED_LENGTH ? `${value.slice(0, MAX_QUOTED_LENGTH)}...` : value;
  return JSON.stringify(shown);
}

/** One problem with one variable, before it is rendered as `NAME: message`. */
export interface Problem {
  readonly variable: string;
  readonly message: string;
}
