import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RouteLeaseOutcome } from '@smtp-relay/smart-host';
import type { DeliveryDecision } from '../src/outcome.ts';
import { leaseOutcome, routeOutcome, type RouteOutcome } from '../src/routes/route-outcome.ts';
import {
  badCredentials,
  bouncedBob as bob,
  deferredCarol as carol,
  greylisted,
  throttled,
  tooManyConnections,
} from './fakes/classified-failures.ts';

// How each decision counts for its route: the dashboard's counts and metric
// (routeOutcome), and what the route's limits learn of our pace (leaseOutcome).

const DECISIONS = {
  finishDelivered: {
    action: 'finish',
    delivered: ['alice@example.com'],
    bounced: [bob],
    result: { kind: 'completed', response: '250 2.0.0 Ok' },
  },
  finishBounced: {
    action: 'finish',
    delivered: [],
    bounced: [bob],
    result: { kind: 'failed', reason: 'bob@example.com: 550 5.1.1 No such user' },
  },
  retryDelivered: {
    action: 'retry',
    delayMs: 300_000,
    delivered: ['alice@example.com'],
    bounced: [],
    remaining: [carol],
    failure: greylisted,
    updatedJob: undefined,
  },
  retryNobody: {
    action: 'retry',
    delayMs: 300_000,
    delivered: [],
    bounced: [],
    remaining: [carol],
    failure: greylisted,
    updatedJob: undefined,
  },
  throttled: { action: 'throttle', failure: throttled },
  tooManyConnections: { action: 'throttle', failure: tooManyConnections },
  hold: { action: 'hold', failure: badCredentials },
  deadLetter: { action: 'dead-letter', reason: 'message body missing from the store' },
} as const satisfies Record<string, DeliveryDecision>;

describe('routeOutcome: how an attempt counts for its route', () => {
  const rows: readonly {
    name: string;
    decision: DeliveryDecision;
    expected: RouteOutcome | undefined;
  }[] = [
    {
      name: 'finished, someone has it: delivered',
      decision: DECISIONS.finishDelivered,
      expected: 'delivered',
    },
    {
      name: 'finished, nobody has it: bounced',
      decision: DECISIONS.finishBounced,
      expected: 'bounced',
    },
    {
      name: 'retry after delivering to some: delivered',
      decision: DECISIONS.retryDelivered,
      expected: 'delivered',
    },
    {
      name: 'retry, nobody has it yet: deferred',
      decision: DECISIONS.retryNobody,
      expected: 'deferred',
    },
    { name: 'throttling reply: throttled', decision: DECISIONS.throttled, expected: 'throttled' },
    {
      name: 'too many connections: throttled',
      decision: DECISIONS.tooManyConnections,
      expected: 'throttled',
    },
    { name: 'systemic failure: held', decision: DECISIONS.hold, expected: 'held' },
    { name: 'dead letter: not counted', decision: DECISIONS.deadLetter, expected: undefined },
  ];
  for (const row of rows) {
    it(row.name, () => {
      assert.equal(routeOutcome(row.decision), row.expected);
    });
  }
});

describe('leaseOutcome: what the route limits learn of our pace', () => {
  const rows: readonly {
    name: string;
    decision: DeliveryDecision | undefined;
    expected: RouteLeaseOutcome;
  }[] = [
    {
      name: 'no decision (stopped, an error of ours): other',
      decision: undefined,
      expected: 'other',
    },
    { name: 'finished, delivered: ok', decision: DECISIONS.finishDelivered, expected: 'ok' },
    {
      name: 'finished, bounced: ok (the smart host answered at our pace)',
      decision: DECISIONS.finishBounced,
      expected: 'ok',
    },
    {
      name: 'retry after delivering to some: ok',
      decision: DECISIONS.retryDelivered,
      expected: 'ok',
    },
    {
      name: 'retry, nobody has it yet: other (a network failure says nothing of our pace)',
      decision: DECISIONS.retryNobody,
      expected: 'other',
    },
    {
      name: 'throttling reply: throttled (the route pauses)',
      decision: DECISIONS.throttled,
      expected: 'throttled',
    },
    {
      name: 'too many connections: the connection limit is lowered',
      decision: DECISIONS.tooManyConnections,
      expected: 'too-many-connections',
    },
    {
      name: 'retry, some recipients throttled and the others delivered: throttled',
      decision: {
        action: 'retry',
        delayMs: 60_000,
        delivered: ['alice@example.com'],
        bounced: [],
        remaining: [{ recipient: 'dan@example.com', failure: throttled }],
        failure: throttled,
        updatedJob: undefined,
      },
      expected: 'throttled',
    },
    { name: 'systemic failure: other', decision: DECISIONS.hold, expected: 'other' },
    { name: 'dead letter: other', decision: DECISIONS.deadLetter, expected: 'other' },
  ];
  for (const row of rows) {
    it(row.name, () => {
      assert.equal(leaseOutcome(row.decision), row.expected);
    });
  }

  it('the failures used above are classified as the rows assume', () => {
    assert.equal(throttled.category, 'throttled');
    assert.equal(tooManyConnections.category, 'connection-limit');
  });
});
