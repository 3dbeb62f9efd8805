import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createOnMailFrom } from '../src/hooks/on-mail-from.ts';
import { assertRefusal, filteredSession, messageRejected, replyCounts } from './hook-fixtures.ts';

// MAIL: 421 while shutting down, then filter M rules. Each refusal is counted
// once: messages_rejected by the reason its reply has, and the reply's class.

const RULES = 'M, "spam@*", R, "550 5.7.1 Sender refused"';

interface Case {
  readonly name: string;
  readonly from: string;
  readonly shuttingDown?: boolean;
  /** The filter's rules fail to load (a bug): the answer is 451. */
  readonly filterFails?: boolean;
  /** The refusal's code and text start; undefined: accepted. */
  readonly refusal: readonly [number, RegExp] | undefined;
  readonly counts: Record<string, number>;
}

const CASES: readonly Case[] = [
  { name: 'no rule matches: accepted', from: 'device@lan.test', refusal: undefined, counts: {} },
  {
    name: 'shutting down: 421 4.3.2',
    from: 'device@lan.test',
    shuttingDown: true,
    refusal: [421, /^4\.3\.2 /],
    counts: messageRejected('4xx', 'shutting-down'),
  },
  {
    name: "an M rule refuses: the rule's 550",
    from: 'spam@example.test',
    refusal: [550, /^5\.7\.1 Sender refused/],
    counts: messageRejected('5xx', 'filter'),
  },
  {
    name: 'the filter fails: 451 4.3.0, internal-error',
    from: 'device@lan.test',
    filterFails: true,
    refusal: [451, /^4\.3\.0 Temporary failure/],
    counts: messageRejected('4xx', 'internal-error'),
  },
];

describe('MAIL FROM hook', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const { metrics, session, filter } = filteredSession(RULES, c.filterFails === true);
      const onMailFrom = createOnMailFrom(() => c.shuttingDown === true, filter, metrics);

      const answer = await new Promise<Error | null | undefined>((resolve) => {
        onMailFrom({ address: c.from, args: false }, session, resolve);
      });

      assertRefusal(answer, c.refusal);
      assert.deepEqual(await replyCounts(metrics), c.counts);
    });
  }
});
