import { parseFilterFile, type FilterRule } from '@smtp-relay/policy';
import {
  watchRulesFile,
  type RulesFileKind,
  type RulesFileOptions,
  type WatchedRulesFile,
} from '../watched-rules-file.ts';

/** SMTP_FILTER_FILE, and the logger its loads and reloads are reported to. */
export type FilterFileOptions = RulesFileOptions;

/** The rules of the filter file, kept current while the file changes. */
export type FilterFile = WatchedRulesFile<readonly FilterRule[]>;

const FILTER_FILE: RulesFileKind<readonly FilterRule[]> = {
  parse: parseFilterFile,
  empty: [],
  eventPrefix: 'filter',
  noun: 'filter file',
  variable: 'SMTP_FILTER_FILE',
  rulesName: 'filter rules',
  skipsInvalidLines: true,
  countField: 'rules',
  count: (rules) => rules.length,
  describe: (rules) => `the ${String(rules.length)} rule(s)`,
};

/**
 * Loads SMTP_FILTER_FILE (throws if it cannot be read: ingress does not start
 * without the rules it was told to apply) and reloads it when it changes. Each
 * line that does not parse is logged with its number and skipped, the others
 * apply. A reload that cannot read the file, or finds it empty (a writer that
 * truncated it and has not written yet), keeps the rules loaded before and logs
 * an error; to remove every rule, leave a comment line.
 */
export function createFilterFile(options: FilterFileOptions): Promise<FilterFile> {
  return watchRulesFile(FILTER_FILE, options);
}
