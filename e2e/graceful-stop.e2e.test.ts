import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { smtpConversation, waitFor, type FakeSmartHost } from '@smtp-relay/testkit';
import { startLanRelay, type LanRelay } from './harness/lan-relay.ts';
import type { RelayStack } from './harness/relay-stack.ts';

// SIGTERM under load: ingress finishes the DATA in progress and answers 421 to
// newcomers; senders finish or hand back their deliveries; both exit 0 within
// 30 s; after a restart every message that got 250 is delivered.

type Outcome = 'queued' | 'refused-421' | 'refused-before-data' | 'lost-after-data';

async function oneTransaction(port: number, subject: string): Promise<Outcome> {
  let dataSent = false;
  try {
    const session = await smtpConversation({ port, timeoutMs: 30_000 });
    try {
      if (session.greeting.code === 421) return 'refused-421';
      await session.send('HELO load.test');
      const mail = await session.send('MAIL FROM:<load@lan.test>');
      if (mail.code === 421) return 'refused-421';
      await session.send('RCPT TO:<boss@example.test>');
      const data = await session.send('DATA');
      if (data.code !== 354) return 'refused-before-data';
      dataSent = true;
      session.sendRaw(`Subject: ${subject}\r\n\r\n${'load line\r\n'.repeat(200)}.\r\n`);
      const reply = await session.readReply();
      if (reply.code === 250) return 'queued';
      return reply.code === 421 ? 'refused-421' : 'lost-after-data';
    } finally {
      await session.close();
    }
  } catch {
    // Connection refused or closed: fine before DATA, a broken promise after it.
    return dataSent ? 'lost-after-data' : 'refused-before-data';
  }
}

describe('graceful stop (SIGTERM) under load', () => {
  let relay: LanRelay;
  let smartHost: FakeSmartHost;
  let stack: RelayStack;

  before(async () => {
    relay = await startLanRelay({
      smartHost: { slowMs: 100 },
      variables: { RETRY_DELAYS: '500ms', SENDER_CONCURRENCY: '4' },
    });
    ({ smartHost, stack } = relay);
  });

  after(async () => {
    await relay.close();
  });

  it('lets a transaction in progress finish while newcomers and idle sessions get 421', async () => {
    const busy = await smtpConversation({ port: stack.smtpPort });
    await busy.send('HELO busy.test');
    await busy.send('MAIL FROM:<busy@lan.test>');
    await busy.send('RCPT TO:<boss@example.test>');
    const idle = await smtpConversation({ port: stack.smtpPort });
    await idle.send('HELO idle.test');

    const ingress = stack.ingress;
    const exited = ingress.stop();
    const idleReply = await idle.readReply();
    assert.equal(idleReply.code, 421, 'the idle session is told to come back later');
    assert.match(idleReply.text, /^4\.3\.2 /);
    const newcomer = await smtpConversation({ port: stack.smtpPort });
    assert.equal(newcomer.greeting.code, 421, 'a newcomer during the drain gets 421');
    await newcomer.close();

    assert.equal((await busy.send('DATA')).code, 354);
    busy.sendRaw('Subject: finished during drain\r\n\r\nbody\r\n.\r\n');
    assert.equal((await busy.readReply()).code, 250, 'the transaction in progress completes');
    await busy.send('QUIT').catch(() => undefined);
    await busy.close();
    await idle.close();
    assert.equal(await exited, 0);
    await stack.restartIngress();
    await waitFor(
      () =>
        smartHost.messages.some((m) =>
          m.data.toString('latin1').includes('Subject: finished during drain'),
        ),
      { description: 'the drained message delivered' },
    );
  });

  it('drains, exits 0 within 30 s, and loses nothing that got 250', async () => {
    const queued: string[] = [];
    const outcomes: Outcome[] = [];
    let stopping = false;
    let sequence = 0;
    const client = async (): Promise<void> => {
      while (!stopping) {
        const subject = `load-${String(sequence++)}`;
        const outcome = await oneTransaction(stack.smtpPort, subject);
        outcomes.push(outcome);
        if (outcome === 'queued') queued.push(subject);
        if (outcome !== 'queued') await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const clients = Array.from({ length: 6 }, client);
    await waitFor(() => queued.length >= 20, { timeoutMs: 20_000, description: 'load running' });

    const started = Date.now();
    const [ingressExit, senderExit] = await Promise.all([
      stack.ingress.stop(),
      stack.sender.stop(),
    ]);
    const stopMs = Date.now() - started;
    // Clients keep knocking for a moment after the stop.
    await new Promise((resolve) => setTimeout(resolve, 200));
    stopping = true;
    await Promise.all(clients);

    assert.equal(ingressExit, 0);
    assert.equal(senderExit, 0);
    assert.ok(stopMs < 30_000, `stopped in ${String(stopMs)} ms`);
    assert.ok(!outcomes.includes('lost-after-data'), 'no client lost a message after sending it');
    assert.ok(
      stack.ingress.logs.some((l) => l.event === 'process.stopped'),
      'ingress logged its orderly stop',
    );

    await stack.restartIngress();
    await stack.startSender();
    await waitFor(
      () => {
        const delivered = new Set(
          smartHost.messages.map((m) => /^Subject: (.*)$/m.exec(m.data.toString('latin1'))?.[1]),
        );
        return queued.every((subject) => delivered.has(subject));
      },
      { timeoutMs: 30_000, description: `all ${String(queued.length)} queued messages delivered` },
    );
  });
});
