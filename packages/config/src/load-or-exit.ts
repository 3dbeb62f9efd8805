import { ConfigError } from './errors.ts';

/**
 * For main.ts files: loads the configuration or prints every problem to stderr
 * and exits 1 at once (docs/reference.md "Processes and commands": non-zero within 2 s, naming each variable).
 */
export function loadOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // The same prefix as every other start-up failure (README "When it does not start").
    process.stderr.write(`smtp-relay cannot start: ${error.message}\n`);
    process.exit(1);
  }
}
