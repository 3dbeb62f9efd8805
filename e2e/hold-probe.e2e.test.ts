import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFakeSmartHost, waitFor, type FakeSmartHost } from '@smtp-relay/testkit';
import { holdPeriods, holdStarts, loginTimes, loginsPerHoldEnd } from './harness/hold-periods.ts';
import { startRelayStack, type RelayStack } from './harness/relay-stack.ts';
import { sendThroughRelay } from './harness/send-through.ts';
import { useTestRedis, type TestRedis } from './harness/test-redis.ts';

// docs/adr/003: a systemic failure (here our password, refused with 535) holds
// every sender replica, and each hold ends with one probe for all of them: a
// single login attempt, not one per free worker slot (providers lock accounts
// after a burst of failed logins). Two senders with 10 slots each, 24 queued
// messages; logins counted at the smart host.

const MESSAGES = 24;
// Holds grow along RETRY_DELAYS (once per hold): 400 ms, 800 ms, then 1.2 s.
const RETRY_DELAYS = '400ms,800ms,1200ms';
const HOLD_STARTS = 5;
const WRONG_PASSWORD = { code: 535, message: '5.7.8 Authentication credentials invalid' };

describe('a hold ends with one probe across all sender replicas', () => {
  let redis: TestRedis;
  let smartHost: FakeSmartHost;
  let stack: RelayStack;

  before(async () => {
    redis = await useTestRedis();
    smartHost = await startFakeSmartHost({
      tls: 'none',
      allowInsecureAuth: true,
      auth: { username: 'relay', password: 'secret' },
      // The provider refuses our password until the operator fixes it.
      script: { auth: () => WRONG_PASSWORD },
    });
    stack = await startRelayStack({
      redisUrl: redis.url,
      smartHost: { port: smartHost.port, tls: 'none' },
      withoutSender: true,
      variables: {
        SMTP_RELAY_NETWORKS: '127.0.0.0/8',
        SMART_HOST_USER: 'relay',
        SMART_HOST_PASSWORD: 'secret',
        SENDER_CONCURRENCY: '10',
        SMTP_CLIENT_TIMEOUT: '5s',
        RETRY_DELAYS,
      },
    });
  });

  after(async () => {
    const codes = await stack.stop();
    await smartHost.close();
    await redis.cleanup();
    assert.deepEqual(codes, [0, 0, 0]);
  });

  it('one login per hold end until the password is fixed, then everything goes out', async () => {
    const ids: string[] = [];
    for (let i = 0; i < MESSAGES; i++) ids.push(await sendThroughRelay(stack.smtpPort));
    const senders = [await stack.startSender(), await stack.startSender()];

    await waitFor(() => holdStarts(senders).length >= HOLD_STARTS, {
      timeoutMs: 30_000,
      description: `${String(HOLD_STARTS)} holds`,
    });
    const logins = loginTimes(smartHost);
    const periods = holdPeriods(holdStarts(senders));
    // Logins from the start of one hold to the start of the next: the first
    // hold's also has the deliveries that were in flight when it began.
    const perHoldEnd = loginsPerHoldEnd(periods, logins);
    const described = `logins per hold end: ${JSON.stringify(perHoldEnd)}; hold starts per hold: ${JSON.stringify(periods.map((p) => p.length))}; logins in all: ${String(logins.length)}`;
    const windows = HOLD_STARTS - 2;
    assert.deepEqual(perHoldEnd.slice(0, windows), Array<number>(windows).fill(1), described);
    assert.deepEqual(
      periods.map((p) => p.length),
      periods.map(() => 1),
      `one hold across both replicas: ${described}`,
    );
    // The hold grows once per hold, shared by the replicas.
    assert.deepEqual(
      periods.slice(0, 4).map((p) => p[0]?.holdMs),
      [400, 800, 1200, 1200],
    );
    assert.equal(smartHost.messages.length, 0);

    // The operator fixes the password: the next probe gets through and every
    // message goes out, once, and nothing bounces.
    smartHost.setScript({});
    const messages = await smartHost.waitForMessages(MESSAGES, 20_000);
    const deliveredIds = (): string[] =>
      senders
        .flatMap((sender) => sender.logs)
        .filter((l) => l.event === 'delivery.delivered')
        .map((l) => String(l['messageId']));
    await waitFor(() => deliveredIds().length >= MESSAGES, {
      description: `${String(MESSAGES)} delivery.delivered lines`,
    });
    assert.equal(messages.length, MESSAGES);
    assert.deepEqual(deliveredIds().toSorted(), ids.toSorted());
    for (const sender of senders) {
      assert.ok(!sender.logs.some((l) => l.event === 'delivery.bounced'));
    }
  });
});
