import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_ROUTE_NAME, type SendingRate } from '@smtp-relay/config';
import { createMetrics } from '@smtp-relay/observability';
import { newDeliveryJob, type DeliveryJob } from '@smtp-relay/queue';
import { createMemoryRouteLimits } from '@smtp-relay/smart-host';
import {
  createMemoryFailedMessages,
  createMemoryMessageHistory,
  createMemoryMessageStore,
  type MessageHistory,
  type MessageStore,
} from '@smtp-relay/store';
import { DelayedError, RateLimitError, UnrecoverableError } from 'bullmq';
import { DeferredDelivery } from '../src/deferred-delivery.ts';
import { createDeliveryProcessor } from '../src/process-delivery.ts';
import { deliveryRoutes, type DeliveryRoute } from '../src/routes/delivery-route.ts';
import { routeMatchers } from '../src/routes/resolve-route.ts';
import { createCapturedLogger } from './fakes/captured-logger.ts';
import { createManualClock } from './fakes/manual-clock.ts';
import { createMemoryHold } from './fakes/memory-hold.ts';
import { createMemoryJob } from './fakes/memory-job.ts';
import { createRecordingBounceNotifier } from './fakes/recording-bounce-notifier.ts';
import { routeConfig } from './fakes/route-config.ts';
import { singleRoute } from './fakes/single-route.ts';
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
const SETTINGS = {
  retryDelaysMs: [5 * MINUTE, 30 * MINUTE],
  maxQueueLifetimeMs: 5 * DAY,
  failedRetentionMs: 7 * DAY,
};
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
  /** The route's SMART_HOST_RATE (default: none). */
  readonly rate?: SendingRate;
  /** The message history (default: one in memory, kept a week). */
  readonly history?: (memory: MessageHistory) => MessageHistory;
}

async function setUp(setup: Setup) {
  const clock = createManualClock(setup.now ?? RECEIVED_AT + MINUTE);
  const memory = createMemoryMessageStore({ now: () => clock.now() });
  const store = setup.store ? setup.store(memory) : memory;
  const failed = createMemoryFailedMessages({ store, now: () => clock.now() });
  const data = setup.data ?? jobData([ALICE]);
  if (!setup.withoutBody) {
    const writer = memory.openWriter('01M8BYCJJG0123456789ABCDEF');
    await writer.write(Buffer.from(BODY));
    await writer.finish();
  }
  const client = createScriptedSmartHostClient(setup.steps);
  const bounces = createRecordingBounceNotifier(setup.bounceFailures);
  const hold = createMemoryHold(clock, SETTINGS.retryDelaysMs);
  const limits = createMemoryRouteLimits({
    route: DEFAULT_ROUTE_NAME,
    rate: setup.rate,
    recipientRate: undefined,
    now: () => clock.now(),
  });
  const log = createCapturedLogger();
  const metrics = createMetrics();
  const counted: [kind: string, n: number][] = [];
  const keptHistory = createMemoryMessageHistory({
    settings: { retentionMs: 7 * DAY, maxMessages: 1000 },
    now: () => clock.now(),
  });
  const process = createDeliveryProcessor({
    settings: SETTINGS,
    store,
    failed,
    history: setup.history ? setup.history(keptHistory) : keptHistory,
    throughput: { count: (kind, n = 1) => counted.push([kind, n]) },
    routes: singleRoute({ client, hold, limits }),
    bounces,
    clock,
    logger: log.logger,
    metrics,
  });
  const job = createMemoryJob(data, {
    attemptsMade: setup.attemptsMade ?? 0,
    updateFailures: setup.updateFailures ?? 0,
  });
  return {
    process,
    job,
    failed,
    history: keptHistory,
    counted,
    client,
    bounces,
    holds: hold.store.holdsSet,
    limits,
    log,
    metrics,
    memory,
    clock,
  };
}

/** Alice delivered, Bob refused for good, Carol greylisted: a retry for Carol. */
const PARTLY_DONE = reply(
  [ALICE],
  [
    { recipient: BOB, error: noSuchUser },
    { recipient: CAROL, error: greylisted },
  ],
);
const partlyDone = (setup: Omit<Setup, 'steps' | 'data'> = {}) =>
  setUp({ steps: [PARTLY_DONE], data: jobData([ALICE, BOB, CAROL]), ...setup });
/** partlyDone's attempt, then `next` for Carol's retry. */
const partlyDoneThen = (next: SmartHostStep) =>
  setUp({ steps: [PARTLY_DONE, next], data: jobData([ALICE, BOB, CAROL]) });
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
    // Moved back to the delayed set by the processor itself: no attempt counted.
    if (error instanceof DelayedError) return { delayed: true };
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

  it('refused for good at RCPT: fails for good with the reply, bounces once, keeps the body for FAILED_RETENTION', async () => {
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
    assert.equal(await t.memory.exists('01M8BYCJJG0123456789ABCDEF'), true, 'kept for a retry');
    const record = await t.failed.read('01M8BYCJJG0123456789ABCDEF');
    assert.deepEqual(record?.recipients, [ALICE]);
    assert.equal(record.keptUntil, RECEIVED_AT + MINUTE + 7 * DAY);
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
    const record = await t.failed.read('01M8BYCJJG0123456789ABCDEF');
    assert.deepEqual(record?.recipients, [BOB], 'the bounced recipient, for a retry later');
    assert.equal(record.keptUntil, undefined, 'not finished yet');
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

  it('still deferred at MAX_QUEUE_LIFETIME: bounced as expired, body kept for FAILED_RETENTION', async () => {
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
    assert.equal(await t.memory.exists('01M8BYCJJG0123456789ABCDEF'), true);
    assert.deepEqual((await t.failed.read('01M8BYCJJG0123456789ABCDEF'))?.recipients, [ALICE]);
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
    // BOB failed: the body stays for a retry to him.
    assert.equal(await t.memory.exists('01M8BYCJJG0123456789ABCDEF'), true);
    assert.deepEqual((await t.failed.read('01M8BYCJJG0123456789ABCDEF'))?.recipients, [BOB]);
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

/** When a job moved back to the delayed set comes back, as an offset from `now`: [at least, below]. */
function returnsWithin(until: number | undefined, now: number, ms: number): boolean {
  // wait-without-attempt.ts spreads the jobs over a second.
  return until !== undefined && until >= now + ms && until < now + ms + 1000;
}

describe('delivery processor: route limits and a smart host that throttles', () => {
  it('over SMART_HOST_RATE: moved to the delayed set untried, no attempt counted', async () => {
    const t = await setUp({ steps: [reply([ALICE])], rate: { count: 1, perMs: MINUTE } });
    assert.deepEqual(await outcomeOf(t.process(t.job)), { completed: RESPONSE });
    const next = createMemoryJob(jobData([ALICE]), { attemptsMade: 2 });
    assert.deepEqual(await outcomeOf(t.process(next)), { delayed: true });
    assert.equal(t.client.sent.length, 1, 'the second one never reached the smart host');
    assert.ok(returnsWithin(next.delayedUntil, t.clock.now(), MINUTE), String(next.delayedUntil));
    assert.equal(next.attemptsMade, 2);
    // Written for the dashboard: why it waits, and until when (shown as throttled).
    assert.equal(next.updateCalls, 1);
    assert.deepEqual((next.stored as DeliveryJob).waiting, {
      reason: 'rate',
      until: next.delayedUntil,
    });
    assert.deepEqual(t.log.events(), ['delivery.delivered', 'delivery.waiting']);
    assert.deepEqual(
      t.log
        .lines()
        .filter((line) => line['event'] === 'delivery.waiting')
        .map((l) => l['reason']),
      ['rate'],
    );
    assert.deepEqual(await counter(t.metrics, 'smtp_relay_route_attempts_total'), [
      'smtp_relay_route_attempts_total{route="default",outcome="delivered"} 1',
      'smtp_relay_route_attempts_total{route="default",outcome="limited"} 1',
    ]);
  });

  const throttlingReplies = [
    smartHostError('EENVELOPE', 'Mail command failed', {
      responseCode: 421,
      command: 'MAIL FROM',
      response: '421 4.7.0 Too many messages, slow down',
    }),
    smartHostError('EENVELOPE', 'Mail command failed', {
      responseCode: 454,
      command: 'MAIL FROM',
      response: '454 4.7.0 Throttling failure: Maximum sending rate exceeded.',
    }),
  ];
  for (const error of throttlingReplies) {
    it(`"${String(error.response)}": waits untried and pauses the route, never deferred or bounced`, async () => {
      const t = await setUp({
        steps: [{ kind: 'fail', error }],
        data: jobData([ALICE, BOB]),
        attemptsMade: 3,
      });
      assert.deepEqual(await outcomeOf(t.process(t.job)), { delayed: true });
      assert.ok(returnsWithin(t.job.delayedUntil, t.clock.now(), 1000), String(t.job.delayedUntil));
      assert.deepEqual(t.bounces.notices, []);
      assert.equal(t.job.updateCalls, 1);
      assert.deepEqual((t.job.stored as DeliveryJob).waiting, {
        reason: 'throttled',
        until: t.job.delayedUntil,
      });
      assert.deepEqual((t.job.stored as DeliveryJob).recipients, [ALICE, BOB], 'nobody dropped');
      assert.equal(await t.memory.exists('01M8BYCJJG0123456789ABCDEF'), true);
      assert.deepEqual(t.log.events(), ['delivery.throttled']);
      assert.deepEqual(await counter(t.metrics, 'smtp_relay_route_attempts_total'), [
        'smtp_relay_route_attempts_total{route="default",outcome="throttled"} 1',
      ]);
      const limits = await t.limits.read();
      assert.ok(limits.pausedMs > 0, JSON.stringify(limits));
      assert.equal(limits.pauses, 1);

      // The route is paused: when it comes back the job waits again, untried.
      const back = createMemoryJob(jobData([ALICE, BOB]), { attemptsMade: 3 });
      assert.deepEqual(await outcomeOf(t.process(back)), { delayed: true });
      assert.equal(t.client.sent.length, 1);
      assert.ok(returnsWithin(back.delayedUntil, t.clock.now(), limits.pausedMs));
    });
  }

  it('too many connections at the greeting: waits untried, the route lowers its connections', async () => {
    const tooManyConnections = smartHostError('EPROTOCOL', 'Invalid greeting', {
      responseCode: 421,
      command: 'CONN',
      response: '421 4.7.0 Error: too many connections from 192.0.2.7',
    });
    const t = await setUp({ steps: [{ kind: 'fail', error: tooManyConnections }] });
    assert.deepEqual(await outcomeOf(t.process(t.job)), { delayed: true });
    assert.deepEqual(t.bounces.notices, []);
    assert.deepEqual(t.log.events(), ['delivery.throttled']);
    const limits = await t.limits.read();
    assert.equal(limits.pausedMs, 0, 'not a rate: no pause');
    assert.equal(limits.connectionLimit, 1);
  });

  it('greylisted: deferred on RETRY_DELAYS, and the route is not paused', async () => {
    const t = await setUp({ steps: [{ kind: 'fail', error: greylisted }] });
    assert.deepEqual(await outcomeOf(t.process(t.job)), {
      retryInMs: 5 * MINUTE,
      reason: '450 4.7.1 Greylisted (deferred)',
    });
    assert.equal(t.job.delayedUntil, undefined);
    assert.equal((await t.limits.read()).pausedMs, 0);
  });
});

describe('delivery processor: routes of SMART_HOST_ROUTES_FILE', () => {
  const SALES_ID = '01M8BYCJJG0123456789SALES0';
  const OTHER_ID = '01M8BYCJJG0123456789OTHER0';

  /** The route `sales` (senders at sales.example.com) and the default route, each its own. */
  function setUpRoutes(steps: {
    readonly sales: readonly SmartHostStep[];
    readonly fallback: readonly SmartHostStep[];
  }) {
    const clock = createManualClock(RECEIVED_AT + MINUTE);
    const store = createMemoryMessageStore({ now: () => clock.now() });
    const route = (name: string, routeSteps: readonly SmartHostStep[]) => {
      const client = createScriptedSmartHostClient(routeSteps);
      const hold = createMemoryHold(clock, SETTINGS.retryDelaysMs);
      const limits = createMemoryRouteLimits({
        route: name,
        rate: undefined,
        recipientRate: undefined,
        now: () => clock.now(),
      });
      const built: DeliveryRoute = {
        name,
        client,
        rewriteFrom: undefined,
        hold,
        holdsQueue: false,
        limits,
      };
      return { built, client, hold };
    };
    const sales = route('sales', steps.sales);
    const fallback = route(DEFAULT_ROUTE_NAME, steps.fallback);
    const log = createCapturedLogger();
    const process = createDeliveryProcessor({
      settings: SETTINGS,
      store,
      failed: createMemoryFailedMessages({ store, now: () => clock.now() }),
      routes: deliveryRoutes(
        [sales.built, fallback.built],
        routeMatchers([routeConfig('sales', ['*@sales.example.com'])]),
      ),
      bounces: createRecordingBounceNotifier(),
      clock,
      logger: log.logger,
      metrics: createMetrics(),
    });
    /** A queued job of a new message from `mailFrom`, its body stored. */
    const queued = async (messageId: string, mailFrom: string) => {
      const writer = store.openWriter(messageId);
      await writer.write(Buffer.from(BODY));
      await writer.finish();
      return createMemoryJob({ ...jobData([ALICE]), messageId, mailFrom });
    };
    return { process, queued, sales, fallback, log, clock };
  }

  it('records the route chosen on the job and sends through that route only', async () => {
    const t = setUpRoutes({ sales: [reply([ALICE])], fallback: [reply([ALICE])] });
    const salesJob = await t.queued(SALES_ID, 'ann@sales.example.com');
    const otherJob = await t.queued(OTHER_ID, 'ann@example.net');
    assert.deepEqual(await outcomeOf(t.process(salesJob)), { completed: RESPONSE });
    assert.deepEqual(await outcomeOf(t.process(otherJob)), { completed: RESPONSE });
    assert.equal((salesJob.stored as DeliveryJob).route, 'sales');
    assert.equal((otherJob.stored as DeliveryJob).route, DEFAULT_ROUTE_NAME);
    assert.deepEqual(
      t.sales.client.sent.map((m) => m.envelope.from),
      ['ann@sales.example.com'],
    );
    assert.deepEqual(
      t.fallback.client.sent.map((m) => m.envelope.from),
      ['ann@example.net'],
    );
  });

  it('a route already on the job is not written again', async () => {
    const t = setUpRoutes({ sales: [], fallback: [reply([ALICE])] });
    // Recorded before the routes file changed: it keeps its route.
    const job = await t.queued(OTHER_ID, 'ann@example.net');
    await job.updateData({ ...(job.stored as DeliveryJob), route: DEFAULT_ROUTE_NAME });
    assert.deepEqual(await outcomeOf(t.process(job)), { completed: RESPONSE });
    assert.equal(job.updateCalls, 1, 'only the set-up above');
  });

  it('a systemic failure holds its own route only; its jobs wait as delayed jobs', async () => {
    const t = setUpRoutes({
      sales: [{ kind: 'fail', error: badCredentials }],
      fallback: [reply([ALICE])],
    });
    const first = await t.queued(SALES_ID, 'ann@sales.example.com');
    // The attempt that failed waits for the end of its route's hold (docs/adr/003),
    // as a delayed job: the queue is not rate-limited.
    assert.deepEqual(await outcomeOf(t.process(first)), { delayed: true });
    assert.ok(
      returnsWithin(first.delayedUntil, t.clock.now(), 5 * MINUTE),
      String(first.delayedUntil),
    );
    assert.deepEqual(t.sales.hold.store.holdsSet, [5 * MINUTE]);

    // The default route goes on.
    const other = await t.queued(OTHER_ID, 'ann@example.net');
    assert.deepEqual(await outcomeOf(t.process(other)), { completed: RESPONSE });
    assert.deepEqual(t.fallback.hold.store.holdsSet, []);

    // The held route's next job: moved to the delayed set, not the whole queue rate-limited.
    const next = await t.queued('01M8BYCJJG0123456789SALES1', 'bob@sales.example.com');
    assert.deepEqual(await outcomeOf(t.process(next)), { delayed: true });
    assert.ok(
      returnsWithin(next.delayedUntil, t.clock.now(), 5 * MINUTE),
      String(next.delayedUntil),
    );
    assert.equal(t.sales.client.sent.length, 1);
    assert.deepEqual(
      t.log
        .lines()
        .filter((line) => line['event'] === 'delivery.waiting')
        .map((l) => l['reason']),
      ['held'],
    );
  });
});

describe('delivery processor: the message history (docs/reference.md "Message history")', () => {
  const ID = '01M8BYCJJG0123456789ABCDEF';
  const withSubject = (recipients: readonly string[]): DeliveryJob => ({
    ...jobData(recipients),
    subject: 'Scan from MFP-3 (2 pages)',
  });

  it('delivered at the first attempt: a record with the subject, the reply and its queue id', async () => {
    const t = await setUp({ steps: [reply([ALICE, BOB])], data: withSubject([ALICE, BOB]) });
    assert.deepEqual(await outcomeOf(t.process(t.job)), { completed: RESPONSE });
    const now = t.clock.now();
    assert.deepEqual(await t.history.get(ID), {
      id: ID,
      from: 'printer@example.com',
      to: [ALICE, BOB],
      delivered: [ALICE, BOB],
      bounced: [],
      subject: 'Scan from MFP-3 (2 pages)',
      size: BODY.length,
      client: { address: '192.0.2.7', helo: 'printer.lan' },
      authUser: 'printer',
      route: null,
      receivedAt: RECEIVED_AT,
      finishedAt: now,
      reply: RESPONSE,
      smartHostQueueId: '4F2A',
      attempts: [
        { at: now, outcome: 'delivered', delivered: [ALICE, BOB], bounced: [], reply: RESPONSE },
      ],
    });
  });

  it('deferred, then delivered: both attempts on the timeline, who got it and who bounced', async () => {
    const t = await partlyDoneThen(reply([CAROL]));
    assert.deepEqual(await outcomeOf(t.process(t.job)), CAROL_DEFERRED);
    const deferredAt = t.clock.now();
    assert.equal(await t.history.get(ID), undefined, 'not in the history while still queued');

    t.clock.advance(5 * MINUTE);
    const next = createMemoryJob(t.job.stored, { attemptsMade: 1 });
    assert.deepEqual(await outcomeOf(t.process(next)), { completed: RESPONSE });
    const record = await t.history.get(ID);
    assert.deepEqual(record?.delivered, [ALICE, CAROL]);
    assert.deepEqual(record.bounced, [BOB]);
    assert.deepEqual(record.attempts, [
      {
        at: deferredAt,
        outcome: 'deferred',
        delivered: [ALICE],
        bounced: [BOB],
        reply: '450 4.7.1 Greylisted',
      },
      {
        at: t.clock.now(),
        outcome: 'delivered',
        delivered: [CAROL],
        bounced: [],
        reply: RESPONSE,
      },
    ]);
  });

  it("the dashboard's throughput counts the same events as the counters", async () => {
    const delivered = await setUp({ steps: [reply([ALICE])] });
    await outcomeOf(delivered.process(delivered.job));
    assert.deepEqual(delivered.counted, [['delivered', 1]]);
    const partly = await partlyDone();
    await outcomeOf(partly.process(partly.job));
    assert.deepEqual(partly.counted, [
      ['delivered', 1],
      ['bounced', 1],
      ['deferred', 1],
    ]);
  });

  it('delivered to one before, bounced for the last one now: the record has both', async () => {
    const t = await partlyDoneThen(reply([], [{ recipient: CAROL, error: noSuchUser }]));
    assert.deepEqual(await outcomeOf(t.process(t.job)), CAROL_DEFERRED);
    t.clock.advance(5 * MINUTE);
    const next = createMemoryJob(t.job.stored, { attemptsMade: 1 });
    assert.deepEqual(await outcomeOf(t.process(next)), {
      failed: `${CAROL}: 550 5.1.1 No such user`,
    });
    const record = await t.history.get(ID);
    assert.deepEqual(record?.delivered, [ALICE]);
    assert.deepEqual(record.bounced, [BOB, CAROL]);
    assert.deepEqual(
      record.attempts.map((a) => a.outcome),
      ['deferred', 'failed'],
    );
    assert.equal(record.reply, `${CAROL}: 550 5.1.1 No such user`);
  });

  it('delivered to nobody: no record (the failed list shows it)', async () => {
    const t = await setUp({ steps: [reply([], [{ recipient: ALICE, error: noSuchUser }])] });
    assert.deepEqual(await outcomeOf(t.process(t.job)), {
      failed: `${ALICE}: 550 5.1.1 No such user`,
    });
    assert.equal(await t.history.get(ID), undefined);
    assert.equal(await t.history.count(), 0);
  });

  it('a history that cannot be written: the delivery still completes, with one warning', async () => {
    const t = await setUp({
      steps: [reply([ALICE])],
      history: (memory) => ({
        ...memory,
        finish: () => Promise.reject(new Error('OOM command not allowed')),
      }),
    });
    assert.deepEqual(await outcomeOf(t.process(t.job)), { completed: RESPONSE });
    assert.deepEqual(t.log.events(), ['delivery.delivered', 'history.not-recorded']);
  });

  it('HISTORY_RETENTION=0: nothing is written', async () => {
    const off = createMemoryMessageHistory({ settings: { retentionMs: 0, maxMessages: 1000 } });
    const t = await setUp({ steps: [reply([ALICE])], history: () => off });
    assert.deepEqual(await outcomeOf(t.process(t.job)), { completed: RESPONSE });
    assert.equal(await off.count(), 0);
    assert.equal(await off.get(ID), undefined);
  });
});
