import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSendersFile } from '@smtp-relay/policy';
import { createOnMailFrom } from '../src/hooks/on-mail-from.ts';
import { createSenderCheck } from '../src/sender-rules/sender-check.ts';
import {
  assertRefusal,
  capturedLogger,
  CLIENT_ADDRESS,
  filteredSession,
  messageRejected,
  replyCounts,
} from './hook-fixtures.ts';

// MAIL with SMTP_SENDERS_FILE (docs/reference.md "Sender address rules"): 421
// while shutting down, then the user's sender rule (553 5.7.1, logged as
// smtp.sender.refused), then the filter's M rules.

const SENDERS = 'printer scan@example.com,*@lan.test\nlocked\n';
const FILTER = 'M, "spam@*", R, "550 5.7.1 Sender refused"';

interface Case {
  readonly name: string;
  /** The session's SMTP AUTH user; undefined: a session that did not authenticate. */
  readonly user: string | undefined;
  readonly from: string;
  readonly shuttingDown?: boolean;
  /** Writing this log event throws, as a broken destination would. */
  readonly failingLog?: string;
  /** The refusal's code and text start; undefined: accepted. */
  readonly refusal: readonly [number, RegExp] | undefined;
  readonly counts: Record<string, number>;
  /** The events the hook logged, in order. */
  readonly events: readonly string[];
}

const NOT_ALLOWED = [553, /^5\.7\.1 Sender address not allowed for this user$/] as const;
const REFUSED = messageRejected('5xx', 'sender-not-allowed');

const CASES: readonly Case[] = [
  {
    name: 'a listed user, an address of its own: accepted',
    user: 'printer',
    from: 'scan@example.com',
    refusal: undefined,
    counts: {},
    events: [],
  },
  {
    name: 'a listed user, an address at its domain in other case: accepted',
    user: 'printer',
    from: 'Tray2@LAN.test',
    refusal: undefined,
    counts: {},
    events: [],
  },
  {
    name: 'a listed user, an address it was not given: 553 5.7.1, logged',
    user: 'printer',
    from: 'ceo@example.com',
    refusal: NOT_ALLOWED,
    counts: REFUSED,
    events: ['smtp.sender.refused'],
  },
  {
    name: 'a listed user, the null sender <>: accepted',
    user: 'printer',
    from: '',
    refusal: undefined,
    counts: {},
    events: [],
  },
  {
    name: 'a user listed without patterns: 553 5.7.1',
    user: 'locked',
    from: 'locked@example.com',
    refusal: NOT_ALLOWED,
    counts: REFUSED,
    events: ['smtp.sender.refused'],
  },
  {
    name: 'a user the file does not name: accepted',
    user: 'copier',
    from: 'ceo@example.com',
    refusal: undefined,
    counts: {},
    events: [],
  },
  {
    name: 'a session without AUTH (SMTP_RELAY_NETWORKS): accepted',
    user: undefined,
    from: 'ceo@example.com',
    refusal: undefined,
    counts: {},
    events: [],
  },
  {
    name: 'the sender rule comes before the M rules: 553, the filter never asked',
    user: 'printer',
    from: 'spam@example.com',
    refusal: NOT_ALLOWED,
    counts: REFUSED,
    events: ['smtp.sender.refused'],
  },
  {
    name: 'an address the user may use still goes through the M rules',
    user: 'printer',
    from: 'spam@lan.test',
    refusal: [550, /^5\.7\.1 Sender refused/],
    counts: messageRejected('5xx', 'filter'),
    events: ['smtp.filter.matched'],
  },
  {
    name: 'shutting down comes first: 421 4.3.2',
    user: 'printer',
    from: 'ceo@example.com',
    shuttingDown: true,
    refusal: [421, /^4\.3\.2 /],
    counts: messageRejected('4xx', 'shutting-down'),
    events: [],
  },
  {
    name: 'the refusal cannot be logged: 451 4.3.0, internal-error',
    user: 'printer',
    from: 'ceo@example.com',
    failingLog: 'smtp.sender.refused',
    refusal: [451, /^4\.3\.0 Temporary failure/],
    counts: messageRejected('4xx', 'internal-error'),
    events: [],
  },
];

describe('MAIL FROM hook with sender address rules', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const { metrics, sessions, session, filter } = filteredSession(FILTER, false, {
        user: c.user,
      });
      // What the filter and the sender rule log, on this session's logger.
      const captured = capturedLogger(c.failingLog);
      sessions.set(session, {
        log: captured.logger,
        clientAddress: CLIENT_ADDRESS,
        authFailures: 0,
      });
      const rules = parseSendersFile(SENDERS).rules;
      const senders = createSenderCheck(() => rules, sessions);
      const onMailFrom = createOnMailFrom(() => c.shuttingDown === true, filter, metrics, senders);

      const answer = await new Promise<Error | null | undefined>((resolve) => {
        onMailFrom({ address: c.from, args: false }, session, resolve);
      });

      assertRefusal(answer, c.refusal);
      assert.deepEqual(await replyCounts(metrics), c.counts);
      assert.deepEqual(captured.events(), c.events);
      const refused = captured.lines().find((line) => line['event'] === 'smtp.sender.refused');
      if (refused) {
        assert.equal(refused['user'], c.user);
        assert.equal(refused['from'], c.from);
        assert.equal(refused['level'], 'warn');
      }
    });
  }
});
