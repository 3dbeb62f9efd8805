import { parseSendersFile, type SenderRules } from '@smtp-relay/policy';
import {
  watchRulesFile,
  type RulesFileKind,
  type RulesFileOptions,
  type WatchedRulesFile,
} from '../watched-rules-file.ts';

/** SMTP_SENDERS_FILE, and the logger its loads and reloads are reported to. */
export type SendersFileOptions = RulesFileOptions;

/** Who may use which MAIL FROM addresses, kept current while the file changes. */
export type SendersFile = WatchedRulesFile<SenderRules>;

const SENDERS_FILE: RulesFileKind<SenderRules> = {
  parse: parseSendersFile,
  empty: new Map(),
  eventPrefix: 'senders',
  noun: 'senders file',
  variable: 'SMTP_SENDERS_FILE',
  rulesName: 'sender address rules',
  // A listed user whose line does not parse is still restricted.
  skipsInvalidLines: false,
  countField: 'users',
  count: (rules) => rules.size,
  describe: (rules) => `the rules of the ${String(rules.size)} user(s)`,
};

/**
 * Loads SMTP_SENDERS_FILE and reloads it when it changes, as SMTP_FILTER_FILE is
 * (docs/reference.md "Sender address rules"): ingress does not start without the
 * restrictions it was told to apply, a line that does not parse is logged with
 * its number, and a reload that cannot read the file, or finds it empty (a writer
 * that truncated it and has not written yet), keeps the rules loaded before and
 * logs an error. To lift every restriction, leave a comment line. Lifting them
 * because the file went away would let every listed user use any address.
 */
export function createSendersFile(options: SendersFileOptions): Promise<SendersFile> {
  return watchRulesFile(SENDERS_FILE, options);
}
