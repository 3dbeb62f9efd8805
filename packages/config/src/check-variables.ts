import type * as z from 'zod';
import type { CrossFieldRule } from './cross-field-rule.ts';
import type { VariableTexts } from './environment.ts';
import type { Problem } from './errors.ts';

export interface CheckedVariables<F> {
  /** The valid variables' values; an invalid one is absent (its problem is reported). */
  readonly fields: F;
  /** Every problem: reading, each variable on its own, then the rules between them. */
  readonly problems: Problem[];
}

/**
 * Each variable's text through its own schema, then the rules between variables. Shared by
 * the environment (load.ts) and each route of SMART_HOST_ROUTES_FILE, so that a route's
 * smart host is checked exactly as the SMART_HOST_* variables are. `inherited` gives the
 * value of a variable whose text is unset (a route's caFile is SMART_HOST_CA_FILE's).
 */
export function checkVariables<F>(
  shape: readonly (readonly [string, z.ZodType])[],
  read: VariableTexts,
  rules: readonly CrossFieldRule<F>[],
  inherited: Readonly<Record<string, unknown>> = {},
): CheckedVariables<F> {
  const { texts, unreadable } = read;
  const problems = [...read.problems];
  // Each variable on its own, so that one bad value hides no other problem.
  const fields: Record<string, unknown> = {};
  const invalid = new Set(unreadable);
  for (const [name, fieldSchema] of shape) {
    if (invalid.has(name)) continue;
    if (texts[name] === undefined && inherited[name] !== undefined) {
      fields[name] = inherited[name];
      continue;
    }
    const result = fieldSchema.safeParse(texts[name]);
    if (result.success) {
      fields[name] = result.data;
    } else {
      invalid.add(name);
      problems.push(...result.error.issues.map(({ message }) => ({ variable: name, message })));
    }
  }
  const context = {
    isSet: (name: string) => texts[name] !== undefined || unreadable.has(name) || invalid.has(name),
  };
  for (const rule of rules) {
    // A rule reads only its `uses`, and those parsed: the partial object is enough.
    if (!rule.uses.some((name) => invalid.has(name))) {
      problems.push(...rule.check(fields as F, context));
    }
  }
  return { fields: fields as F, problems };
}
