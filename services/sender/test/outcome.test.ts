import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newDeliveryJob, type DeliveryJob } from '@smtp-relay/queue';
import type { DeliveryAttempt, RecipientFailure } from '../src/deliver.ts';
import {
  bounceSummary,
  type DecisionContext,
  type DeliveryDecision,
  decide,
} from '../src/outcome.ts';
import {
  badCredentials,
  bouncedBob,
  connectionRefused,
  deferredCarol,
  greylisted,
  rateAtRcpt,
  throttled,
  tooManyConnections,
} from './fakes/classified-failures.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const RECEIVED_AT = Date.UTC(2026, 10, 26, 12, 0, 0);
const LIFETIME = 5 * DAY;
const EXPIRES_AT = RECEIVED_AT + LIFETIME;

const deferredDave: RecipientFailure = {
  recipient: 'dave@example.com',
  failure: connectionRefused,
};

const throttledCarol: RecipientFailure = { recipient: 'carol@example.com', failure: throttled };
const throttledDave: RecipientFailure = { recipient: 'dave@example.com', failure: rateAtRcpt };
const cappedCarol: RecipientFailure = {
  recipient: 'carol@example.com',
  failure: tooManyConnections,
};
const cappedDave: RecipientFailure = { recipient: 'dave@example.com', failure: tooManyConnections };
const throttledErin: RecipientFailure = { recipient: 'erin@example.com', failure: rateAtRcpt };

const RESPONSE = '250 2.0.0 Ok: queued as ABC';

function attempted(
  delivered: readonly string[],
  bounced: readonly RecipientFailure[],
  deferred: readonly RecipientFailure[],
): DeliveryAttempt {
  return {
    kind: 'attempted',
    delivered,
    bounced,
    deferred,
    response: delivered.length > 0 ? RESPONSE : undefined,
  };
}

/** The job as it was before the attempt: every recipient the attempt dealt with. */
function jobBefore(attempt: DeliveryAttempt): DeliveryJob {
  const recipients =
    attempt.kind === 'attempted'
      ? [
          ...attempt.delivered,
          ...attempt.bounced.map((b) => b.recipient),
          ...attempt.deferred.map((d) => d.recipient),
        ]
      : ['alice@example.com'];
  return newDeliveryJob({
    messageId: '01M8BYCJJG0123456789ABCDEF',
    size: 100,
    mailFrom: 'printer@example.com',
    recipients,
    receivedAt: RECEIVED_AT,
    client: { address: '192.0.2.7', helo: 'printer.lan' },
    authUser: null,
    bodyType: '7bit',
    smtpUtf8: false,
  });
}

const context = (now: number, failedAttempts: number): DecisionContext => ({
  now,
  maxQueueLifetimeMs: LIFETIME,
  retryDelaysMs: [5 * MINUTE, 30 * MINUTE, 2 * HOUR],
  failedAttempts,
});

const withRecipients = (attempt: DeliveryAttempt, recipients: readonly string[]): DeliveryJob => ({
  ...jobBefore(attempt),
  recipients: [...recipients],
});

// Attempts some of whose recipients are done: the retry stores the rest.
const carolDeferred = attempted(['alice@example.com'], [], [deferredCarol]);
const partial = attempted(['alice@example.com'], [bouncedBob], [deferredCarol]);
const aliceThenThrottled = attempted(['alice@example.com'], [], [throttledErin]);

describe('decide', () => {
  const rows: readonly {
    name: string;
    attempt: DeliveryAttempt;
    context: DecisionContext;
    expected: DeliveryDecision;
  }[] = [
    {
      name: 'body missing: dead letter',
      attempt: { kind: 'body-missing' },
      context: context(RECEIVED_AT + MINUTE, 1),
      expected: { action: 'dead-letter', reason: 'message body missing from the store' },
    },
    {
      name: 'body missing past the lifetime: still dead letter, never a bounce',
      attempt: { kind: 'body-missing' },
      context: context(EXPIRES_AT + DAY, 9),
      expected: { action: 'dead-letter', reason: 'message body missing from the store' },
    },
    {
      name: 'systemic failure: hold',
      attempt: { kind: 'systemic', failure: badCredentials },
      context: context(RECEIVED_AT + MINUTE, 1),
      expected: { action: 'hold', failure: badCredentials },
    },
    {
      name: 'systemic failure past the lifetime: still hold, never a bounce',
      attempt: { kind: 'systemic', failure: badCredentials },
      context: context(EXPIRES_AT + DAY, 40),
      expected: { action: 'hold', failure: badCredentials },
    },
    {
      name: 'all delivered: finish',
      attempt: attempted(['alice@example.com', 'erin@example.com'], [], []),
      context: context(RECEIVED_AT + MINUTE, 0),
      expected: {
        action: 'finish',
        delivered: ['alice@example.com', 'erin@example.com'],
        bounced: [],
        result: { kind: 'completed', response: RESPONSE },
      },
    },
    {
      name: 'some bounced, none deferred: finish with the bounced',
      attempt: attempted(['alice@example.com'], [bouncedBob], []),
      context: context(RECEIVED_AT + MINUTE, 1),
      expected: {
        action: 'finish',
        delivered: ['alice@example.com'],
        bounced: [bouncedBob],
        result: { kind: 'completed', response: RESPONSE },
      },
    },
    {
      name: 'all bounced: finish with the bounced',
      attempt: attempted([], [bouncedBob], []),
      context: context(RECEIVED_AT + MINUTE, 1),
      expected: {
        action: 'finish',
        delivered: [],
        bounced: [bouncedBob],
        result: { kind: 'failed', reason: 'bob@example.com: 550 5.1.1 No such user' },
      },
    },
    {
      name: 'all delivered past the lifetime: finish, nothing expires',
      attempt: attempted(['alice@example.com'], [], []),
      context: context(EXPIRES_AT + HOUR, 5),
      expected: {
        action: 'finish',
        delivered: ['alice@example.com'],
        bounced: [],
        result: { kind: 'completed', response: RESPONSE },
      },
    },
    {
      name: 'deferred after the first failure: retry with the first delay, without alice',
      attempt: carolDeferred,
      context: context(RECEIVED_AT + MINUTE, 1),
      expected: {
        action: 'retry',
        delayMs: 5 * MINUTE,
        delivered: ['alice@example.com'],
        bounced: [],
        remaining: [deferredCarol],
        failure: greylisted,
        updatedJob: withRecipients(carolDeferred, ['carol@example.com']),
      },
    },
    {
      name: 'deferred after the second failure: the second delay',
      attempt: attempted([], [], [deferredCarol, deferredDave]),
      context: context(RECEIVED_AT + HOUR, 2),
      expected: {
        action: 'retry',
        delayMs: 30 * MINUTE,
        delivered: [],
        bounced: [],
        remaining: [deferredCarol, deferredDave],
        failure: greylisted,
        updatedJob: undefined,
      },
    },
    {
      name: 'deferred beyond the schedule: the last delay repeats',
      attempt: attempted([], [], [deferredDave]),
      context: context(RECEIVED_AT + DAY, 12),
      expected: {
        action: 'retry',
        delayMs: 2 * HOUR,
        delivered: [],
        bounced: [],
        remaining: [deferredDave],
        failure: connectionRefused,
        updatedJob: undefined,
      },
    },
    {
      name: 'partial: delivered, bounced and deferred all carried in the retry; carol stays',
      attempt: partial,
      context: context(RECEIVED_AT + MINUTE, 1),
      expected: {
        action: 'retry',
        delayMs: 5 * MINUTE,
        delivered: ['alice@example.com'],
        bounced: [bouncedBob],
        remaining: [deferredCarol],
        failure: greylisted,
        updatedJob: withRecipients(partial, ['carol@example.com']),
      },
    },
    {
      name: 'deferred near the deadline: delay capped at the deadline',
      attempt: attempted([], [], [deferredCarol]),
      context: context(EXPIRES_AT - 10 * MINUTE, 30),
      expected: {
        action: 'retry',
        delayMs: 10 * MINUTE,
        delivered: [],
        bounced: [],
        remaining: [deferredCarol],
        failure: greylisted,
        updatedJob: undefined,
      },
    },
    {
      name: 'deferred one millisecond before the deadline: retry in 1 ms',
      attempt: attempted([], [], [deferredCarol]),
      context: context(EXPIRES_AT - 1, 30),
      expected: {
        action: 'retry',
        delayMs: 1,
        delivered: [],
        bounced: [],
        remaining: [deferredCarol],
        failure: greylisted,
        updatedJob: undefined,
      },
    },
    {
      name: 'deferred at the deadline: finish, deferred bounced as expired',
      attempt: attempted(['alice@example.com'], [], [deferredCarol]),
      context: context(EXPIRES_AT, 31),
      expected: {
        action: 'finish',
        delivered: ['alice@example.com'],
        bounced: [{ ...deferredCarol, expired: true }],
        result: { kind: 'completed', response: RESPONSE },
      },
    },
    {
      name: 'deferred after the deadline: finish, bounced first, then the expired ones',
      attempt: attempted(['alice@example.com'], [bouncedBob], [deferredCarol, deferredDave]),
      context: context(EXPIRES_AT + HOUR, 32),
      expected: {
        action: 'finish',
        delivered: ['alice@example.com'],
        bounced: [
          bouncedBob,
          { ...deferredCarol, expired: true },
          { ...deferredDave, expired: true },
        ],
        result: { kind: 'completed', response: RESPONSE },
      },
    },
    {
      name: 'nobody reached at the deadline: failed, with every reply',
      attempt: attempted([], [bouncedBob], [deferredCarol]),
      context: context(EXPIRES_AT, 31),
      expected: {
        action: 'finish',
        delivered: [],
        bounced: [bouncedBob, { ...deferredCarol, expired: true }],
        result: {
          kind: 'failed',
          reason:
            'bob@example.com: 550 5.1.1 No such user; carol@example.com: 451 4.7.1 Greylisted',
        },
      },
    },
    {
      name: 'delivered without a final reply: completed as "delivered"',
      attempt: {
        kind: 'attempted',
        delivered: ['alice@example.com'],
        bounced: [],
        deferred: [],
        response: undefined,
      },
      context: context(RECEIVED_AT + MINUTE, 0),
      expected: {
        action: 'finish',
        delivered: ['alice@example.com'],
        bounced: [],
        result: { kind: 'completed', response: 'delivered' },
      },
    },
    {
      name: 'every recipient throttled: throttle, with the first reply',
      attempt: attempted([], [], [throttledCarol, throttledDave]),
      context: context(RECEIVED_AT + MINUTE, 1),
      expected: { action: 'throttle', failure: throttled },
    },
    {
      name: 'too many connections at the greeting: throttle',
      attempt: attempted([], [], [cappedCarol, cappedDave]),
      context: context(RECEIVED_AT + MINUTE, 1),
      expected: { action: 'throttle', failure: tooManyConnections },
    },
    {
      name: 'throttled past the lifetime: still throttle, never bounced as expired',
      attempt: attempted([], [], [throttledCarol]),
      context: context(EXPIRES_AT + HOUR, 9),
      expected: { action: 'throttle', failure: throttled },
    },
    {
      name: 'throttled and greylisted: retry on the schedule (not every reply says slower)',
      attempt: attempted([], [], [throttledDave, deferredCarol]),
      context: context(RECEIVED_AT + MINUTE, 1),
      expected: {
        action: 'retry',
        delayMs: 5 * MINUTE,
        delivered: [],
        bounced: [],
        remaining: [throttledDave, deferredCarol],
        failure: rateAtRcpt,
        updatedJob: undefined,
      },
    },
    {
      name: 'some delivered, the rest throttled: retry without them',
      attempt: aliceThenThrottled,
      context: context(RECEIVED_AT + MINUTE, 1),
      expected: {
        action: 'retry',
        delayMs: 5 * MINUTE,
        delivered: ['alice@example.com'],
        bounced: [],
        remaining: [throttledErin],
        failure: rateAtRcpt,
        updatedJob: withRecipients(aliceThenThrottled, ['erin@example.com']),
      },
    },
    {
      name: 'some bounced, the rest throttled: retry (the bounce must not wait)',
      attempt: attempted([], [bouncedBob], [throttledCarol]),
      context: context(RECEIVED_AT + MINUTE, 1),
      expected: {
        action: 'retry',
        delayMs: 5 * MINUTE,
        delivered: [],
        bounced: [bouncedBob],
        remaining: [throttledCarol],
        failure: throttled,
        updatedJob: withRecipients(attempted([], [bouncedBob], [throttledCarol]), [
          'carol@example.com',
        ]),
      },
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      assert.deepEqual(decide(jobBefore(row.attempt), row.attempt, row.context), row.expected);
    });
  }

  it('does not mark the attempt’s own deferred recipients as expired', () => {
    const deferred: RecipientFailure = { ...deferredCarol };
    const attempt = attempted([], [], [deferred]);
    decide(jobBefore(attempt), attempt, context(EXPIRES_AT, 31));
    assert.equal(deferred.expired, undefined);
  });

  it('does not change the job it was given', () => {
    const before = jobBefore(partial);
    const copy = structuredClone(before);
    decide(before, partial, context(RECEIVED_AT + MINUTE, 1));
    assert.deepEqual(before, copy);
  });

  it('sums up a failed message one recipient per reply', () => {
    assert.equal(
      bounceSummary([bouncedBob, { ...deferredDave, expired: true }]),
      'bob@example.com: 550 5.1.1 No such user; dave@example.com: 451 4.4.1 No answer from smart host',
    );
  });
});
