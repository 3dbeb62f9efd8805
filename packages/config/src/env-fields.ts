import * as z from 'zod';
import { InvalidValueError, quote } from './errors.ts';

// Zod adapters between the value parsers (plain functions that throw InvalidValueError)
// and the per-variable schemas. The loaders hand every schema the variable's text with
// white space trimmed and '' turned into undefined, so `.prefault()` defaults apply to
// empty variables too (libraries.md §5.3: zod itself treats '' as a value).

/** How a variable behaves when unset, as documented (docs, .env.example, `config`). */
export type VariableDefault =
  /** this text is used, parsed like a given value */
  | { readonly kind: 'value'; readonly text: string }
  | { readonly kind: 'required' }
  /** computed from other settings; `description` says how */
  | { readonly kind: 'derived'; readonly description: string }
  /** the feature is off or a library default applies; `description` says which */
  | { readonly kind: 'unset'; readonly description: string };

export interface VariableField<T> {
  readonly default: VariableDefault;
  readonly schema: z.ZodType<T>;
}

const envString = z.string({
  error: (issue) => (issue.input === undefined ? 'required' : undefined),
});

/** A schema that runs a value parser on the variable's text. */
export function parsedBy<T>(parse: (text: string) => T): z.ZodType<T, string> {
  return envString.transform((text, context) => {
    try {
      return parse(text);
    } catch (error) {
      if (!(error instanceof InvalidValueError)) throw error;
      for (const reason of error.reasons) context.addIssue({ code: 'custom', message: reason });
      return z.NEVER;
    }
  });
}

/** `true/false`, `yes/no`, `on/off`, `1/0` (any case), never z.coerce.boolean ('false' → true). */
export const booleanText = z.stringbool({
  error: (issue) => `must be true or false, got ${quote(String(issue.input))}`,
});

export function withDefault<T>(text: string, schema: z.ZodType<T, string>): VariableField<T> {
  return { default: { kind: 'value', text }, schema: schema.prefault(text) };
}

/** Unset stays `undefined`; the loader computes the value from other settings. */
export function derived<T>(
  description: string,
  schema: z.ZodType<T, string>,
): VariableField<T | undefined> {
  return { default: { kind: 'derived', description }, schema: schema.optional() };
}

export function optional<T>(
  description: string,
  schema: z.ZodType<T, string>,
): VariableField<T | undefined> {
  return { default: { kind: 'unset', description }, schema: schema.optional() };
}
