import { InvalidValueError, quote, type Problem } from './errors.ts';
import { readTextFile } from './file-values.ts';
import { FILE_SUFFIX, SECRET_SUFFIXES, isSecretName } from './secret-names.ts';

/** What the loaders read: `process.env` or a test's object. Unknown names are ignored. */
export type Environment = Readonly<Record<string, string | undefined>>;

export interface VariableTexts {
  /** text per variable name; undefined = unset */
  readonly texts: Record<string, string | undefined>;
  readonly problems: Problem[];
  /** variables whose value could not be read: already reported, checked no further */
  readonly unreadable: Set<string>;
  /** where a value came from, when not from the variable itself ("read from X_FILE") */
  readonly sources: Map<string, string>;
}

function nonEmpty(text: string | undefined): string | undefined {
  return text === '' ? undefined : text;
}

// Docker secrets are usually written by `echo`, leaving one newline that is not part of
// the password. Strip exactly one, so a secret that really ends in white space survives.
function withoutFinalNewline(text: string): string {
  return text.replace(/\r?\n$/, '');
}

/**
 * The text of each named variable. Plain values are trimmed; secrets are taken verbatim
 * from NAME or from the file NAME_FILE names. Every problem is collected, none thrown.
 */
export function readVariableTexts(env: Environment, names: readonly string[]): VariableTexts {
  const result: VariableTexts = {
    texts: {},
    problems: [],
    unreadable: new Set(),
    sources: new Map(),
  };
  for (const name of names) {
    if (isSecretName(name)) readSecret(env, name, result);
    else readPlain(env, name, names, result);
  }
  return result;
}

function readPlain(
  env: Environment,
  name: string,
  names: readonly string[],
  result: VariableTexts,
) {
  result.texts[name] = nonEmpty(env[name]?.trim());
  const fileVariable = `${name}${FILE_SUFFIX}`;
  // Someone who sets REDIS_URL_FILE expects it to work: say why it does not.
  if (nonEmpty(env[fileVariable]?.trim()) !== undefined && !names.includes(fileVariable)) {
    result.problems.push({
      variable: fileVariable,
      message: `${name} cannot be read from a file; only variables ending in ${SECRET_SUFFIXES.join(', ')} can`,
    });
  }
}

function readSecret(env: Environment, name: string, result: VariableTexts) {
  const direct = nonEmpty(env[name]);
  const fileVariable = `${name}${FILE_SUFFIX}`;
  const path = nonEmpty(env[fileVariable]?.trim());
  if (path === undefined) {
    result.texts[name] = direct;
    return;
  }
  const fail = (message: string) => {
    result.problems.push({ variable: fileVariable, message });
    result.unreadable.add(name);
  };
  if (direct !== undefined) {
    fail(`cannot be set together with ${name}; set only one of them`);
    return;
  }
  try {
    const text = withoutFinalNewline(readTextFile(path));
    if (text === '') {
      fail(`${quote(path)} is empty`);
      return;
    }
    result.texts[name] = text;
    result.sources.set(name, `read from ${fileVariable}`);
  } catch (error) {
    if (!(error instanceof InvalidValueError)) throw error;
    for (const reason of error.reasons) fail(reason);
  }
}
