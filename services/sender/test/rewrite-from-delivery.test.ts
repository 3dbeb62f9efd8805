import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMetrics } from '@smtp-relay/observability';
import { newDeliveryJob } from '@smtp-relay/queue';
import { createMemoryFailedMessages, createMemoryMessageStore } from '@smtp-relay/store';
import { UnrecoverableError } from 'bullmq';
import { createDeliveryProcessor } from '../src/process-delivery.ts';
import { createCapturedLogger } from './fakes/captured-logger.ts';
import { createManualClock } from './fakes/manual-clock.ts';
import { singleRoute } from './fakes/single-route.ts';
import { createMemoryHold } from './fakes/memory-hold.ts';
import { createMemoryJob } from './fakes/memory-job.ts';
import { createRecordingBounceNotifier } from './fakes/recording-bounce-notifier.ts';
import {
  createScriptedSmartHostClient,
  smartHostError,
  type SmartHostStep,
} from './fakes/scripted-smart-host-client.ts';

// docs/reference.md "Sender address rewriting": only this delivery's MAIL FROM
// changes; the job keeps the original sender, so a bounce reaches it.

const RELAY = 'relay@example.com';
const DEVICE = 'printer@office.test';
const MESSAGE_ID = '01M8BYCJJG0123456789ABCDEF';
const BODY = `From: Printer <${DEVICE}>\r\nSubject: Scan\r\n\r\nsee attachment\r\n`;
const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);

async function attempt(step: SmartHostStep) {
  const clock = createManualClock(NOW);
  const store = createMemoryMessageStore({ now: () => clock.now() });
  const writer = store.openWriter(MESSAGE_ID);
  await writer.write(Buffer.from(BODY));
  await writer.finish();
  const client = createScriptedSmartHostClient([step]);
  const bounces = createRecordingBounceNotifier();
  const process = createDeliveryProcessor({
    settings: {
      retryDelaysMs: [60_000],
      maxQueueLifetimeMs: 86_400_000,
      failedRetentionMs: 60_000,
    },
    store,
    failed: createMemoryFailedMessages({ store, now: () => clock.now() }),
    routes: singleRoute({ client, hold: createMemoryHold(clock), rewriteFrom: RELAY }),
    bounces,
    clock,
    logger: createCapturedLogger().logger,
    metrics: createMetrics(),
  });
  const job = createMemoryJob(
    newDeliveryJob({
      messageId: MESSAGE_ID,
      size: BODY.length,
      mailFrom: DEVICE,
      recipients: ['boss@example.test'],
      receivedAt: NOW,
      client: { address: '192.0.2.7', helo: 'printer.lan' },
      authUser: null,
      bodyType: '8bitmime',
      smtpUtf8: false,
    }),
    { attemptsMade: 0, updateFailures: 0 },
  );
  const outcome = await process(job).then(
    (result) => ({ result }),
    (error: unknown) => ({ error }),
  );
  return { outcome, client, bounces };
}

describe('delivery with REWRITE_FROM', () => {
  it('sends from the rewrite address with the rewritten header, size included', async () => {
    const { outcome, client } = await attempt({
      kind: 'reply',
      result: { accepted: ['boss@example.test'], rejected: [], response: '250 2.0.0 Ok' },
    });
    assert.deepEqual(outcome, { result: '250 2.0.0 Ok' });
    const expected =
      `From: Printer <${RELAY}>\r\nReply-To: Printer <${DEVICE}>\r\n` +
      `X-Original-From: Printer <${DEVICE}>\r\nSubject: Scan\r\n\r\nsee attachment\r\n`;
    assert.deepEqual(
      client.sent.map(({ envelope, body }) => ({ envelope, body: body.toString() })),
      [
        {
          envelope: {
            from: RELAY,
            to: ['boss@example.test'],
            size: Buffer.byteLength(expected),
            use8BitMime: true,
          },
          body: expected,
        },
      ],
    );
  });

  it('bounces a refused message to the original envelope sender', async () => {
    const refused = smartHostError('EMESSAGE', 'Message failed', {
      responseCode: 554,
      command: 'DATA',
      response: '554 5.6.0 Content refused',
    });
    const { outcome, client, bounces } = await attempt({ kind: 'fail', error: refused });
    assert.ok('error' in outcome && outcome.error instanceof UnrecoverableError);
    assert.equal(client.sent[0]?.envelope.from, RELAY);
    assert.deepEqual(bounces.notices, [
      {
        messageId: MESSAGE_ID,
        to: DEVICE,
        recipients: ['boss@example.test'],
        expired: [false],
        attempt: 1,
      },
    ]);
  });
});
