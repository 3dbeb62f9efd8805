import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createClientTrust } from '../src/client-trust.ts';
import { createOnRcptTo } from '../src/hooks/on-rcpt-to.ts';
import { assertRefusal, filteredSession, messageRejected, replyCounts } from './hook-fixtures.ts';

// RCPT: filter R rules first, then the relay decision. Each refusal is counted
// once: messages_rejected by the reason its reply has, and the reply's class.

const RULES = `
R, "*@refused.test", R, "550 5.7.1 Recipient refused"
R, "kick@*", D, "disconnected a kicker"
`;

interface Case {
  readonly name: string;
  readonly to: string;
  readonly user?: string;
  readonly relayNetwork?: boolean;
  readonly authOffered: boolean;
  /** The filter's rules fail to load (a bug): the answer is 451. */
  readonly filterFails?: boolean;
  /** The refusal's code and text start; undefined: accepted. */
  readonly refusal: readonly [number, RegExp] | undefined;
  readonly counts: Record<string, number>;
}

const CASES: readonly Case[] = [
  {
    name: 'authenticated: accepted, nothing counted',
    to: 'boss@example.test',
    user: 'scanner',
    authOffered: true,
    refusal: undefined,
    counts: {},
  },
  {
    name: 'from SMTP_RELAY_NETWORKS: accepted, nothing counted',
    to: 'boss@example.test',
    relayNetwork: true,
    authOffered: true,
    refusal: undefined,
    counts: {},
  },
  {
    name: 'neither, AUTH offered: 530 5.7.0',
    to: 'boss@example.test',
    authOffered: true,
    refusal: [530, /^5\.7\.0 Authentication required/],
    counts: messageRejected('5xx', 'relay-denied'),
  },
  {
    name: 'neither, no AUTH: 554 5.7.1',
    to: 'boss@example.test',
    authOffered: false,
    refusal: [554, /^5\.7\.1 Relay access denied/],
    counts: messageRejected('5xx', 'relay-denied'),
  },
  {
    name: "an R rule refuses, even a trusted client: the rule's 550",
    to: 'x@refused.test',
    relayNetwork: true,
    authOffered: true,
    refusal: [550, /^5\.7\.1 Recipient refused/],
    counts: messageRejected('5xx', 'filter'),
  },
  {
    name: 'a D rule: 421, a 4xx',
    to: 'kick@example.test',
    relayNetwork: true,
    authOffered: true,
    refusal: [421, /^4\.7\.0 /],
    counts: messageRejected('4xx', 'filter'),
  },
  {
    name: 'the filter fails: 451 4.3.0, internal-error',
    to: 'boss@example.test',
    relayNetwork: true,
    authOffered: true,
    filterFails: true,
    refusal: [451, /^4\.3\.0 Temporary failure/],
    counts: messageRejected('4xx', 'internal-error'),
  },
];

describe('RCPT hook', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const { metrics, sessions, session, filter } = filteredSession(
        RULES,
        c.filterFails === true,
        {
          envelope: { mailFrom: { address: 'device@lan.test', args: false }, rcptTo: [] },
          secure: true,
          transmissionType: 'ESMTPS',
          ...(c.user === undefined ? {} : { user: c.user }),
        },
      );
      const trust = createClientTrust(() => c.relayNetwork === true);
      const onRcptTo = createOnRcptTo({
        sessions,
        metrics,
        isRelayClient: trust.isRelayClient,
        cameWithoutClientAddress: trust.cameWithoutClientAddress,
        authOffered: c.authOffered,
        filter,
      });

      const answer = await new Promise<Error | null | undefined>((resolve) => {
        onRcptTo({ address: c.to, args: false }, session, resolve);
      });

      assertRefusal(answer, c.refusal);
      assert.deepEqual(await replyCounts(metrics), c.counts);
    });
  }
});
