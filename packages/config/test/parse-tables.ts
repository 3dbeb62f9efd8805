import assert from 'node:assert/strict';
import { it } from 'node:test';
import { InvalidValueError } from '../src/errors.ts';
import { ConfigError, loadSenderConfig, type Environment } from '../src/index.ts';

// The shells of the parse and load tables the config tests share.

/** The host the tests load a sender's config on. */
export const HOST = { hostname: 'relay.example.com' };

function reasonsOf(parse: () => unknown): readonly string[] {
  try {
    parse();
  } catch (error) {
    if (error instanceof InvalidValueError) return error.reasons;
    throw error;
  }
  return assert.fail('expected an InvalidValueError');
}

/** The problems of loading a sender's config from `env`; fails if it loads. */
export function problemsOf(env: Environment): readonly string[] {
  try {
    loadSenderConfig(env, HOST);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return assert.fail('expected a ConfigError');
}

/** One test per row: `reads "<text>"`, `parse` giving the value. */
export function itReads(
  rows: readonly (readonly [string, unknown])[],
  parse: (text: string) => unknown,
): void {
  for (const [text, expected] of rows) {
    // node:test's runner awaits its tests itself.
    void it(`reads ${JSON.stringify(text)}`, () => {
      assert.deepEqual(parse(text), expected);
    });
  }
}

/** One test per row: `refuses "<text>"`, `parse` throwing these reasons. */
export function itRefuses(
  rows: readonly (readonly [string, readonly string[]])[],
  parse: (text: string) => unknown,
): void {
  for (const [text, reasons] of rows) {
    void it(`refuses ${JSON.stringify(text)}`, () => {
      assert.deepEqual(
        reasonsOf(() => parse(text)),
        reasons,
      );
    });
  }
}
