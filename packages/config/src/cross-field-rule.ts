import type { Problem } from './errors.ts';

/**
 * A rule between variables. It runs only when every variable in `uses` is valid, so a
 * bad value is reported once (by its own schema), not again as a follow-on problem.
 */
export interface CrossFieldRule<F> {
  readonly uses: readonly (keyof F & string)[];
  readonly check: (fields: F, context: RuleContext) => readonly Problem[];
}

/** What a rule may know beyond the parsed values of its `uses`. */
export interface RuleContext {
  /** The environment set this variable (valid or not, directly or as NAME_FILE). */
  readonly isSet: (name: string) => boolean;
}

export function ruleOn<F>() {
  return <const K extends keyof F & string>(
    uses: readonly K[],
    check: (fields: Pick<F, K>, context: RuleContext) => readonly Problem[],
  ): CrossFieldRule<F> => ({ uses, check });
}

export function problem(variable: string, message: string): readonly Problem[] {
  return [{ variable, message }];
}
