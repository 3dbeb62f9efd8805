import type { Problem } from './errors.ts';

/**
 * A rule between variables. It runs only when every variable in `uses` is valid, so a
 * bad value is reported once (by its own schema), not again as a follow-on problem.
 */
export interface CrossFieldRule<F> {
  readonly uses: readonly (keyof F & string)[];
  readonly check: (fields: F) => readonly Problem[];
}

export function ruleOn<F>() {
  return <const K extends keyof F & string>(
    uses: readonly K[],
    check: (fields: Pick<F, K>) => readonly Problem[],
  ): CrossFieldRule<F> => ({ uses, check });
}

export function problem(variable: string, message: string): readonly Problem[] {
  return [{ variable, message }];
}
