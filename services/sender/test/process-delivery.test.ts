import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMetrics } from '@smtp-relay/observability';
import { newDeliveryJob, type DeliveryJob } from '@smtp-relay/queue';
import { createMemoryMessageStore, type MessageStore } from '@smtp-relay/store';
import { RateLimitError, UnrecoverableError } from 'bullmq';
import { DeferredDelivery } from '../src/deferred-delivery.ts';
import { createDeliveryProcessor } from '../src/process-delivery.ts';
import { createCapturedLogger } from './fakes/captured-logger.ts';
import { createManualClock } from './fakes/manual-clock.ts';
import { createMemoryHold } from './fakes/memory-hold.ts';
import { createMemoryJob } from './fakes/memory-job.ts';
import { createRecordingBounceNotifier } from './fakes/recording-bounce-notifier.ts';
import {
  createScriptedSmartHostClient,
  smartHostError,
  type SmartHostStep,
} from './fakes/scripted-smart-host-client.ts';

// The delivery of one job with every outside part faked in memory: the store,
// the smart host, the bounce queue, the clock and BullMQ's job. What BullMQ
// would do next is read from what the processor returns or throws.

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const RECEIVED_AT = Date.UTC(2026, 10, 26, 12, 0, 0);
const SETTINGS = { retryDelaysMs: [5 * MINUTE, 30 * MINUTE], maxQueueLifetimeMs: 5 * DAY };
const BODY = 'Subject: quarterly report\r\n\r\nsee attachment\r\n';
const RESPONSE = '250 2.0.0 Ok: queued as 4F2A';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const CAROL = 'carol@example.com';

const noSuchUser = smartHostError('EENVELOPE', 'Recipient command failed', {
  responseCode: 550,
  command: 'RCPT TO',
  response: '550 5.1.1 No such user',
});
const greylisted = smartHostError('EENVELOPE', 'Recipient command failed', {
  responseCode: 450,
  command: 'RCPT TO',
  response: '450 4.7.1 Greylisted',
});
const badCredentials = smartHostError('EAUTH', 'Invalid login', {
  responseCode: 535,
  command: 'AUTH PLAIN',
  response: '535 5.7.8 Error: authentication failed',
});
const connectionRefused = smartHostError('ESOCKET', 'connect ECONNREFUSED 192.0.2.25:587', {
  command: 'CONN',
});

const reply = (
  accepted: readonly string[],
  rejected: readonly { recipient: string; error: Error }[] = [],
): SmartHostStep => ({ kind: 'reply', result: { accepted, rejected, response: RESPONSE } });

function jobData(recipients: readonly string[], receivedAt = RECEIVED_AT): DeliveryJob {
  return newDeliveryJob({
    messageId: '01M8BYCJJG0123456789ABCDEF',
    size: BODY.length,
    mailFrom: 'printer@example.com',
    recipients,
    receivedAt,
    client: { address: '192.0.2.7', helo: 'printer.lan' },
    authUser: 'printer',
    bodyType: '8bitmime',
    smtpUtf8: false,
  });
}

interface Setup {
  readonly steps: readonly SmartHostStep[];
  readonly data?: unknown;
  readonly attemptsMade?: number;
  /** When the attempt starts (default: a minute after the message came in). */
  readonly now?: number;
  readonly updateFailures?: number;
  readonly bounceFailures?: number;
  readonly withoutBody?: boolean;
  readonly store?: (store: MessageStore) => MessageStore;
}

async function setUp(setup: Setup) {
  const clock = createManualClock(setup.now ?? RECEIVED_AT + MINUTE);
  const memory = createMemoryMessageStore({ now: () => clock.now() });
  const store = setup.store ? setup.store(memory) : memory;
  const data = setup.data ?? jobData([ALICE]);
  if (!setup.withoutBody) {
    const writer = memory.openWriter('01M8BYCJJG0123456789ABCDEF');
    await writer.write(Buffer.from(BODY));
    await writer.finish();
  }
  const client = createScriptedSmartHostClient(setup.steps);
  const bounces = createRecordingBounceNotifier(setup.bounceFailures);
  const hold = createMemoryHold(clock, SETTINGS.retryDelaysMs);
  const log = createCapturedLogger();
  const metrics = createMetrics();
  const process = createDeliveryProcessor({
    settings: SETTINGS,
    store,
    client,
    bounces,
    hold,
    clock,
    logger: log.logger,
    metrics,
  });
  const job = createMemoryJob(data, {
    attemptsMade: setup.attemptsMade ?? 0,
    updateFailures: setup.updateFailures ?? 0,
  });
  return { process, job, client, bounces, holds: hold.store.holdsSet, log, metrics, memory, clock };
}

/** Alice delivered, Bob refused for good, Carol greylisted: a retry for Carol. */
const partlyDone = (setup: Omit<Setup, 'steps' | 'data'> = {}) =>
  setUp({
    steps: [
      reply(
        [ALICE],
        [
          { recipient: BOB, error: noSuchUser },
          { recipient: CAROL, error: greylisted },
        ],
      ),
    ],
    data: jobData([ALICE, BOB, CAROL]),
    ...setup,
  });
const CAROL_DEFERRED = { retryInMs: 5 * MINUTE, reason: '450 4.7.1 Greylisted (deferred)' };

/** What BullMQ is told: a result, or the kind of error and what it carries. */
async function outcomeOf(run: Promise<string>) {
  try {
    return { completed: await run };
  } catch (error) {
    if (error instanceof DeferredDelivery) {
      return { retryInMs: error.retryAfterMs, reason: error.message };
    }
    if (error instanceof UnrecoverableError) return { failed: error.message };
    if (error instanceof RateLimitError) return { handedBack: true };
    throw error;
  }
}

const counter = async (metrics: ReturnType<typeof createMetrics>, name: string) =>
  (await metrics.registry.getSingleMetricAsString(name))
    .split('\n')
    .filter((line) => !line.startsWith('#'));

describe('delivery processor: one attempt decided and carried out', () => {
  it('delivered to everyone: completes with the reply, deletes the body, bounces nothing', async () => {
    const t = await setUp({ steps: [reply([ALICE, BOB])], data: jobData([ALICE, BOB]) });
    assert.deepEqual(await outcomeOf(t.process(t.job)), { completed: RESPONSE });
    assert.deepEqual(t.client.sent, [
      {
        envelope: {
          from: 'printer@example.com',
          to: [ALICE, BOB],
          size: BODY.length,
          use8BitMime: true,
        },
        body: Buffer.from(BODY),
      },
    ]);
    assert.equal(await t.memory.exists('01M8BYCJJG0123456789ABCDEF'), false);
    assert.deepEqual(t.bounces.notices, []);
    assert.equal(t.job.updateCalls, 0);
    assert.deepEqual(t.log.events(), ['delivery.delivered']);
    assert.deepEqual(await counter(t.metrics, 'smtp_relay_messages_delivered_total'), [
      'smtp_relay_messages_delivered_total 1',
    ]);
  });

  it('refused for good at RCPT: fails for good with the reply, bounces once, deletes the body', async () => {
    const refusedAll = Object.assign(
      smartHostError('EENVELOPE', 'Can not send mail to any recipients'),
      {
        rejectedErrors: [Object.assign(noSuchUser, { recipient: ALICE })],
      },
    );
    const t = await setUp({ steps: [{ kind: 'fail', error: refusedAll }], attemptsMade: 2 });
    assert.deepEqual(await outcomeOf(t.process(t.job)), {
      failed: `${ALICE}: 550 5.1.1 No such user`,
    });
    assert.deepEqual(t.bounces.notices, [
      {
        messageId: '01M8BYCJJG0123456789ABCDEF',
        to: 'printer@example.com',
        recipients: [ALICE],
        expired: [false],
        attempt: 3,
      },
    ]);
    assert.equal(await t.memory.exists('01M8BYCJJG0123456789ABCDEF'), false);
    assert.deepEqual(t.log.events(), ['delivery.bounced']);
  });

  it('partly done: stores the recipient left, bounces the refused one, retries after the schedule', async () => {
    const t = await partlyDone();
    assert.deepEqual(await outcomeOf(t.process(t.job)), CAROL_DEFERRED);
    assert.deepEqual(t.job.stored, { ...jobData([ALICE, BOB, CAROL]), recipients: [CAROL] });
    assert.deepEqual(
      t.bounces.notices.map((n) => n.recipients),
      [[BOB]],
    );
    assert.equal(await t.memory.exists('01M8BYCJJG0123456789ABCDEF'), true, 'kept for the retry');
    assert.deepEqual(t.log.events(), [
      'delivery.delivered',
      'delivery.bounced',
      'delivery.deferred',
    ]);
  });

  it('nobody reached yet: retries with the job as it is, later along the schedule', async () => {
    const t = await setUp({ steps: [{ kind: 'fail', error: connectionRefused }], attemptsMade: 1 });
    assert.deepEqual(await outcomeOf(t.process(t.job)), {
      retryInMs: 30 * MINUTE,
      reason: '451 4.4.1 No answer from smart host (network)',
    });
    assert.equal(t.job.updateCalls, 0);
    assert.deepEqual(t.bounces.notices, []);
    assert.deepEqual(t.log.events(), ['delivery.deferred']);
  });

  it('still deferred at MAX_QUEUE_LIFETIME: bounced as expired, body deleted', async () => {
    const t = await setUp({
      steps: [{ kind: 'fail', error: connectionRefused }],
      now: RECEIVED_AT + 5 * DAY,
      attemptsMade: 40,
    });
    assert.deepEqual(await outcomeOf(t.process(t.job)), {
      failed: `${ALICE}: 451 4.4.1 No answer from smart host`,
    });
    assert.deepEqual(
      t.bounces.notices.map((n) => n.expired),
      [[true]],
    );
    assert.equal(await t.memory.exists('01M8BYCJJG0123456789ABCDEF'), false);
  });

  it('our credentials refused: holds every delivery, keeps the message, bounces nothing', async () => {
    const t = await setUp({ steps: [{ kind: 'fail', error: badCredentials }] });
    assert.deepEqual(await outcomeOf(t.process(t.job)), { handedBack: true });
    // A job taken just before the hold began goes back to waiting untried.
    assert.deepEqual(await outcomeOf(t.process(createMemoryJob(jobData([ALICE])))), {
      handedBack: true,
    });
    assert.equal(t.client.sent.length, 1);
    assert.deepEqual(t.holds, [5 * MINUTE]);
    assert.deepEqual(t.bounces.notices, []);
    assert.equal(await t.memory.exists('01M8BYCJJG0123456789ABCDEF'), true);
    assert.equal(t.job.updateCalls, 0);
    assert.deepEqual(t.log.events(), ['delivery.systemic']);
  });

  it('body missing: dead letter, without contacting the smart host or bouncing', async () => {
    const t = await setUp({ steps: [], withoutBody: true });
    assert.deepEqual(await outcomeOf(t.process(t.job)), {
      failed: 'message body missing from the store',
    });
    assert.deepEqual(t.client.sent, []);
    assert.deepEqual(t.bounces.notices, []);
    assert.deepEqual(t.log.events(), ['delivery.dead-letter']);
  });

  it('job data this version cannot read: dead letter with the problem', async () => {
    const t = await setUp({ steps: [], data: { ...jobData([ALICE]), v: 2 } });
    const outcome = await outcomeOf(t.process(t.job));
    assert.ok(
      'failed' in outcome && outcome.failed.startsWith('invalid job data:'),
      JSON.stringify(outcome),
    );
    assert.deepEqual(t.client.sent, []);
    assert.equal(await t.memory.exists('01M8BYCJJG0123456789ABCDEF'), true, 'kept for an operator');
    assert.deepEqual(t.log.events(), ['delivery.invalid-job']);
  });
});

describe('delivery processor: when our own bookkeeping fails', () => {
  it('the job update fails for good: nothing bounced now, the next attempt repeats every recipient', async () => {
    const t = await partlyDone({ updateFailures: 3 });
    assert.deepEqual(await outcomeOf(t.process(t.job)), CAROL_DEFERRED);
    assert.equal(t.job.updateCalls, 3);
    assert.deepEqual(t.job.stored, jobData([ALICE, BOB, CAROL]), 'unchanged');
    // Bob is refused again next time and bounced then: one bounce, not two.
    assert.deepEqual(t.bounces.notices, []);
    assert.equal(await t.memory.exists('01M8BYCJJG0123456789ABCDEF'), true);
    assert.deepEqual(t.log.events(), [
      'delivery.delivered',
      'delivery.job-update-failed',
      'delivery.deferred',
    ]);
    assert.deepEqual(t.clock.slept, [500, 1000], 'retried on the clock, no real waiting');
  });

  it('the job update fails once: recorded on the next try, and the rest goes on', async () => {
    const t = await partlyDone({ updateFailures: 1 });
    assert.deepEqual(await outcomeOf(t.process(t.job)), CAROL_DEFERRED);
    assert.deepEqual((t.job.stored as DeliveryJob).recipients, [CAROL]);
    assert.deepEqual(
      t.bounces.notices.map((n) => n.recipients),
      [[BOB]],
    );
  });

  it('the bounce cannot be queued: logged, and the message is still finished', async () => {
    const t = await setUp({
      steps: [reply([ALICE], [{ recipient: BOB, error: noSuchUser }])],
      data: jobData([ALICE, BOB]),
      bounceFailures: 3,
    });
    assert.deepEqual(await outcomeOf(t.process(t.job)), { completed: RESPONSE });
    assert.equal(t.bounces.calls, 3);
    assert.equal(await t.memory.exists('01M8BYCJJG0123456789ABCDEF'), false);
    assert.deepEqual(t.log.events(), ['delivery.delivered', 'bounce.failed', 'delivery.bounced']);
  });

  it('the body cannot be deleted: still completes (the orphan sweep removes it later)', async () => {
    const t = await setUp({
      steps: [reply([ALICE])],
      store: (store) => ({ ...store, delete: () => Promise.reject(new Error('connection lost')) }),
    });
    assert.deepEqual(await outcomeOf(t.process(t.job)), { completed: RESPONSE });
    assert.deepEqual(t.log.events(), ['delivery.delivered', 'store.delete-failed']);
  });
});

describe('delivery processor: the sender stops mid-delivery', () => {
  it('hands the job back untouched instead of acting on the cut connection', async () => {
    // Past its lifetime: acting on the cut connection would bounce it as expired.
    const t = await setUp({
      steps: [{ kind: 'hang' }],
      data: jobData([ALICE, BOB], RECEIVED_AT - 5 * DAY),
    });
    const stopping = new AbortController();
    const running = outcomeOf(t.process(t.job, stopping.signal));
    await t.client.hanging();
    // What Sender.close does past its deadline: cancel the jobs, then close the client.
    stopping.abort(new Error('sender stopping'));
    await t.client.close();
    assert.deepEqual(await running, { handedBack: true });
    assert.deepEqual(t.bounces.notices, []);
    assert.equal(t.job.updateCalls, 0);
    assert.equal(await t.memory.exists('01M8BYCJJG0123456789ABCDEF'), true);
    assert.deepEqual(t.holds, []);
    assert.deepEqual(t.log.events(), ['delivery.interrupted']);
  });

  it('a signal that never fires changes nothing', async () => {
    const t = await setUp({ steps: [reply([ALICE])] });
    assert.deepEqual(await outcomeOf(t.process(t.job, new AbortController().signal)), {
      completed: RESPONSE,
    });
  });
});
