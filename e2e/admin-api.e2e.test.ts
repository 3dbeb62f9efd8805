import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitFor, type FakeSmartHost } from '@smtp-relay/testkit';
import { readQueueState } from './harness/queue-state.ts';
import { startLanRelay, type LanRelay } from './harness/lan-relay.ts';
import type { RelayStack } from './harness/relay-stack.ts';
import { sendThroughRelay } from './harness/send-through.ts';

// docs/reference.md "Admin HTTP": health and metrics open, the message API and UI behind ADMIN_TOKEN.

const TOKEN = 'e2e-admin-token-0123456789';

interface MessageView {
  id: string;
  state: string;
  from: string;
  to: string[];
  size: number;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
  failedRecipients: string[];
  retryableUntil: string | null;
  subject: string | null;
  history: {
    delivered: string[];
    reply: string;
    smartHostQueueId: string | null;
    attempts: { outcome: string; reply: string; at: string }[];
  } | null;
}

interface HistorySearch {
  total: number;
  complete: boolean;
  messages: MessageView[];
}

describe('admin HTTP', () => {
  let relay: LanRelay;
  let smartHost: FakeSmartHost;
  let stack: RelayStack;
  let base: string;

  const api = async (
    path: string,
    init: RequestInit = {},
    token: string | null = TOKEN,
  ): Promise<Response> =>
    fetch(`${base}${path}`, {
      ...init,
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
    });
  const list = async (state: string): Promise<MessageView[]> =>
    ((await (await api(`/api/v1/messages?state=${state}`)).json()) as { messages: MessageView[] })
      .messages;

  before(async () => {
    relay = await startLanRelay({
      variables: { RETRY_DELAYS: '1h', ADMIN_TOKEN: TOKEN },
    });
    ({ smartHost, stack } = relay);
    base = `http://127.0.0.1:${String(stack.ingress.adminPort)}`;
  });

  after(async () => {
    assert.deepEqual(await relay.close(), [0, 0]);
  });

  it('keeps /healthz, /readyz and /metrics open', async () => {
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const ready = await fetch(`${base}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(((await ready.json()) as { checks: object }).checks, {
      redis: 'ok',
      smtp: 'ok',
    });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^# TYPE smtp_relay_messages_received_total counter$/m);
    assert.match(metrics, /^smtp_relay_queue_messages\{state="waiting"\} \d+$/m);
  });

  it('answers 401 without the token, with a wrong one, and on /ui', async () => {
    assert.equal((await api('/api/v1/messages', {}, null)).status, 401);
    assert.equal((await api('/api/v1/messages', {}, 'wrong-token-wrong-token')).status, 401);
    const ui = await api('/ui', {}, null);
    assert.equal(ui.status, 401);
    assert.match(ui.headers.get('www-authenticate') ?? '', /^Basic /);
    const basic = await fetch(`${base}/ui`, {
      headers: { authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}` },
    });
    assert.equal(basic.status, 200);
    assert.match(await basic.text(), /<title>smtp-relay<\/title>/);
    assert.match(basic.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    // A form another site makes the browser post (Basic credentials, no custom header).
    const forged = await fetch(`${base}/api/v1/messages/x/retry`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}` },
    });
    assert.equal(forged.status, 403);
  });

  it('lists a deferred message with its attempts, last reply and next attempt; retry runs it now', async () => {
    const id = await sendThroughRelay(stack.smtpPort, { to: ['tempfail-later@example.test'] });
    const delayed = await waitFor(async () => (await list('delayed')).find((m) => m.id === id), {
      description: 'message in the delayed list',
    });
    assert.deepEqual(delayed.to, ['tempfail-later@example.test']);
    assert.equal(delayed.from, 'device@lan.test');
    assert.equal(delayed.attempts, 1);
    assert.match(delayed.lastError ?? '', /^451 4\.7\.1 /);
    assert.ok(
      delayed.nextAttemptAt && Date.parse(delayed.nextAttemptAt) > Date.now() + 50 * 60_000,
      'next attempt in ~1h',
    );
    const rcptEvents = (): number => smartHost.events.filter((e) => e.type === 'rcpt-to').length;
    const before = rcptEvents();

    const retried = await api(`/api/v1/messages/${id}/retry`, { method: 'POST' });
    assert.equal(retried.status, 200);
    await waitFor(() => rcptEvents() > before, { description: 'a new attempt right away' });
    const again = await waitFor(
      async () => (await list('delayed')).find((m) => m.id === id && m.attempts === 2),
      {
        description: 'second attempt recorded',
      },
    );
    assert.equal(again.attempts, 2);
  });

  it('deletes a message and its body', async () => {
    const id = await sendThroughRelay(stack.smtpPort, { to: ['tempfail-drop@example.test'] });
    await waitFor(async () => (await list('delayed')).some((m) => m.id === id), {
      description: 'delayed',
    });
    const deleted = await api(`/api/v1/messages/${id}`, { method: 'DELETE' });
    assert.equal(deleted.status, 200);
    assert.equal((await api(`/api/v1/messages/${id}`)).status, 404);
    assert.equal((await api(`/api/v1/messages/${id}`, { method: 'DELETE' })).status, 404);
    const state = await readQueueState(relay.redisUrl, stack.prefix);
    assert.ok(state.bodies <= 1, 'only the other test message body is left');
  });

  it('shows bounced messages as failed, kept for FAILED_RETENTION: a retry sends them again', async () => {
    const id = await sendThroughRelay(stack.smtpPort, { from: '', to: ['reject-me@example.test'] });
    const failed = await waitFor(async () => (await list('failed')).find((m) => m.id === id), {
      description: 'message in the failed list',
    });
    assert.match(failed.lastError ?? '', /550 5\.1\.1/);
    const view = (await (await api(`/api/v1/messages/${id}`)).json()) as MessageView;
    assert.deepEqual(view.failedRecipients, ['reject-me@example.test']);
    assert.ok(view.retryableUntil !== null, 'kept until a known time');

    // The operator fixes the cause (here: the smart host now takes the address).
    smartHost.reset();
    smartHost.setScript({ rcptTo: () => ({ code: 250, message: '2.1.5 Ok now' }) });
    try {
      const retry = await api(`/api/v1/messages/${id}/retry`, { method: 'POST' });
      assert.equal(retry.status, 200, await retry.clone().text());
      const [again] = await smartHost.waitForMessages(1);
      assert.deepEqual(again?.rcptTo, ['reject-me@example.test']);
      await waitFor(async () => (await list('completed')).some((m) => m.id === id), {
        description: 'the retried message completed',
      });
      // Delivered now: nothing failed, nothing to retry.
      assert.equal((await api(`/api/v1/messages/${id}/retry`, { method: 'POST' })).status, 409);
    } finally {
      smartHost.setScript({});
    }
    assert.equal((await api('/api/v1/messages?state=nonsense')).status, 400);
  });

  it('keeps delivered messages in the history: searched by subject, address or id; a page with every attempt', async () => {
    const subject = '=?UTF-8?Q?Scan_f=C3=BCr_Buchhaltung?=';
    const id = await sendThroughRelay(stack.smtpPort, {
      to: ['tempfail-history@example.test'],
      subject,
    });
    await waitFor(async () => (await list('delayed')).some((m) => m.id === id), {
      description: 'deferred once',
    });
    smartHost.setScript({ rcptTo: () => ({ code: 250, message: '2.1.5 Ok now' }) });
    try {
      assert.equal((await api(`/api/v1/messages/${id}/retry`, { method: 'POST' })).status, 200);
      await waitFor(async () => (await list('completed')).some((m) => m.id === id), {
        description: 'delivered at the second attempt',
      });
    } finally {
      smartHost.setScript({});
    }
    const search = async (query: string) => {
      const response = await api(`/api/v1/messages?state=completed&${query}`);
      assert.equal(response.status, 200, await response.clone().text());
      return (await response.json()) as HistorySearch;
    };
    const bySubject = await search('q=buchhaltung');
    assert.deepEqual(
      bySubject.messages.map((m) => m.id),
      [id],
    );
    assert.equal(bySubject.complete, true);
    assert.equal(bySubject.messages[0]?.subject, 'Scan für Buchhaltung');
    assert.deepEqual(
      (await search('q=TEMPFAIL-HISTORY@')).messages.map((m) => m.id),
      [id],
    );
    assert.deepEqual(
      (await search(`q=${id.slice(4, 14)}`)).messages.map((m) => m.id),
      [id],
    );
    assert.deepEqual((await search('q=no-such-text-anywhere')).messages, []);
    const lastHour = new Date(Date.now() - 3_600_000).toISOString();
    assert.ok((await search(`since=${lastHour}`)).messages.some((m) => m.id === id));
    assert.deepEqual((await search('until=2020-01-01')).messages, []);

    const page = (await (await api(`/api/v1/messages/${id}`)).json()) as MessageView;
    assert.equal(page.state, 'completed');
    assert.equal(page.subject, 'Scan für Buchhaltung');
    assert.ok(page.history, 'the history has it');
    assert.deepEqual(page.history.delivered, ['tempfail-history@example.test']);
    assert.deepEqual(
      page.history.attempts.map((a) => [a.outcome, a.reply.slice(0, 9)]),
      [
        ['deferred', '451 4.7.1'],
        ['delivered', '250 2.0.0'],
      ],
    );
    const queueId = /queued as (\S+)/.exec(page.history.reply)?.[1];
    assert.ok(queueId, page.history.reply);
    assert.equal(page.history.smartHostQueueId, queueId);
    assert.deepEqual(
      (await search(`q=${queueId}`)).messages.map((m) => m.id),
      [id],
    );

    assert.equal((await api('/api/v1/messages?state=completed&since=yesterday')).status, 400);
    assert.equal((await api('/api/v1/messages?state=delayed&q=x')).status, 400);
    assert.equal((await api('/api/v1/messages?state=completed&limit=0&q=x')).status, 400);
    assert.equal((await api('/api/v1/messages?state=completed&q=a&q=b')).status, 400);
  });

  it('answers 404 for ids that are not message ids, and leaves the queue’s own keys alone', async () => {
    for (const id of ['meta', 'stalled-check', 'id']) {
      assert.equal((await api(`/api/v1/messages/${id}`)).status, 404, `GET ${id}`);
      assert.equal((await api(`/api/v1/messages/${id}`, { method: 'DELETE' })).status, 404);
      assert.equal((await api(`/api/v1/messages/${id}/retry`, { method: 'POST' })).status, 404);
    }
    assert.equal((await api('/api/v1/counts')).status, 200, 'the queue still works');
  });
});
