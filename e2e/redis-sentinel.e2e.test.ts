import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  redisCli,
  startFakeSmartHost,
  startRedisSentinelGroup,
  waitFor,
  type FakeSmartHost,
  type SentinelGroup,
} from '@smtp-relay/testkit';
import { readQueueState } from './harness/queue-state.ts';
import { startRelayStack, type RelayStack } from './harness/relay-stack.ts';
import { sendThroughRelay } from './harness/send-through.ts';

// README "High availability": ingress and sender reach Redis through Sentinel
// (REDIS_SENTINELS) and follow a failover; with REDIS_WAIT_REPLICAS=1 a 250
// means a replica holds the message, so killing the primary loses none.
// Real processes: a primary, a replica and three sentinels on loopback.

const SENDER_CONCURRENCY = 4;
const CLIENTS = 4;
// While Redis fails over, ingress answers within its store bounds (each step
// at most a third of SMTP_SOCKET_TIMEOUT), as a device waits.
const REPLY_TIMEOUT_MS = 45_000;

const subjectOf = (data: Buffer): string =>
  /^Subject: (.*)$/m.exec(data.toString('latin1'))?.[1] ?? '?';

interface LoadResult {
  /** Subjects that got 250. */
  readonly accepted: string[];
  /** Their queue ids. */
  readonly ids: string[];
  /** Replies other than 250, e.g. 451 4.3.0 while Redis fails over. */
  readonly refused: string[];
}

/**
 * CLIENTS devices sending one message per connection until `stop()` says so
 * (each finishes the message it is on). A refused message is not retried: the
 * test only counts what got 250.
 */
function startLoad(port: number, label: string) {
  const result: LoadResult = { accepted: [], ids: [], refused: [] };
  let stopping = false;
  let sequence = 0;
  const client = async (): Promise<void> => {
    while (!stopping) {
      const subject = `${label}-${String(sequence++)}`;
      try {
        result.ids.push(await sendThroughRelay(port, { subject }, REPLY_TIMEOUT_MS));
        result.accepted.push(subject);
      } catch (error) {
        result.refused.push((error as Error).message);
        // A refused device waits a moment, as a real one would before retrying.
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  };
  const clients = Array.from({ length: CLIENTS }, client);
  return {
    result,
    async stop(): Promise<LoadResult> {
      stopping = true;
      await Promise.all(clients);
      return result;
    },
  };
}

describe('Redis Sentinel with replica acknowledgement', () => {
  let group: SentinelGroup;
  let smartHost: FakeSmartHost;
  let stack: RelayStack;

  before(async () => {
    group = await startRedisSentinelGroup();
    smartHost = await startFakeSmartHost({ tls: 'none' });
    stack = await startRelayStack({
      // With sentinels only REDIS_URL's credentials and database count: this host is never dialled.
      redisUrl: 'redis://unused.invalid:6379/0',
      smartHost: { port: smartHost.port, tls: 'none' },
      variables: {
        REDIS_SENTINELS: group.sentinelList,
        REDIS_SENTINEL_MASTER: group.master,
        REDIS_WAIT_REPLICAS: '1',
        // Store steps, WAIT included, are bounded by a third of it (3 s): a
        // refusal for want of a replica comes within seconds.
        SMTP_SOCKET_TIMEOUT: '9s',
        SMTP_RELAY_NETWORKS: '127.0.0.0/8',
        RETRY_DELAYS: '500ms',
        SENDER_CONCURRENCY: String(SENDER_CONCURRENCY),
      },
    });
  });

  after(async () => {
    await stack.stop();
    await smartHost.close();
    await group.cleanup();
  });

  const primaryUrl = async (): Promise<string> =>
    `redis://127.0.0.1:${String(await group.primaryPort())}`;

  it('primary SIGKILLed under load: every message that got 250 is delivered after the failover', async (t) => {
    const load = startLoad(stack.smtpPort, 'failover');
    // Also when an assertion fails: a load left running keeps this file from ending.
    t.after(async () => {
      await load.stop();
    });
    await waitFor(() => load.result.accepted.length >= 30, {
      timeoutMs: 30_000,
      description: '30 messages accepted before the kill',
    });
    const oldPrimary = await group.primaryPort();
    const killed = group.servers.find((server) => server.port === oldPrimary);
    assert.ok(killed);
    await killed.kill();
    const acceptedAtKill = load.result.accepted.length;
    await group.waitForFailover(oldPrimary);
    // The old primary comes back empty; the sentinels make it the new primary's
    // replica, and with a replica to confirm them, messages get 250 again.
    await killed.restart();
    await group.waitForReplicas(1);
    await waitFor(() => load.result.accepted.length >= acceptedAtKill + 30, {
      timeoutMs: 60_000,
      description: '30 more messages accepted after the failover',
    }).catch((error: unknown) => {
      // Why ingress keeps refusing: its last replies and lines are the evidence.
      throw new Error(
        `${String(error)}\nlast refusals:\n${load.result.refused.slice(-5).join('\n')}\ningress log:\n${stack.ingress.logs
          .slice(-20)
          .map((line) => JSON.stringify(line))
          .join('\n')}`,
      );
    });
    const { accepted, ids, refused } = await load.stop();

    await waitFor(
      () => {
        const delivered = new Set(smartHost.messages.map((m) => subjectOf(m.data)));
        return accepted.every((subject) => delivered.has(subject));
      },
      { timeoutMs: 90_000, intervalMs: 200, description: 'every 250 delivered' },
    ).catch((error: unknown) => {
      // What the services said last: the evidence when a delivery is missing.
      const tail = (logs: readonly object[]): string =>
        logs
          .slice(-20)
          .map((line) => JSON.stringify(line))
          .join('\n');
      throw new Error(
        `${String(error)}\nsender exit code ${String(stack.sender.child.exitCode)}; sender log:\n${tail(stack.sender.logs)}\ningress log:\n${tail(stack.ingress.logs)}`,
      );
    });
    const subjects = smartHost.messages.map((m) => subjectOf(m.data));
    const copies = new Map<string, number>();
    for (const subject of subjects) copies.set(subject, (copies.get(subject) ?? 0) + 1);
    const duplicated = [...copies.values()].filter((count) => count > 1).length;
    t.diagnostic(
      `${String(accepted.length)} accepted, ${String(refused.length)} refused, ${String(duplicated)} delivered twice`,
    );
    assert.ok(
      duplicated <= SENDER_CONCURRENCY,
      `duplicates (${String(duplicated)}) at most the deliveries in flight (${String(SENDER_CONCURRENCY)})`,
    );
    // Only 250s or 451 4.3.0 (Redis failing over), never a 5xx.
    for (const reply of refused) assert.match(reply, /^DATA: 451 4\.3\.0|^MAIL: 451|^DATA: 421/);
    // Delivered bodies are deleted. A refused message's body may stay when
    // Redis could not be told to remove it during the failover: no job names
    // it, and the orphan sweep takes it later.
    const primaryPort = await group.primaryPort();
    const bodyOf = (id: string): string => `${stack.prefix}:body:${id}`;
    await waitFor(
      async () => (await redisCli(primaryPort, ['EXISTS', ...ids.map(bodyOf)])) === '0',
      { timeoutMs: 30_000, description: 'the bodies of delivered messages deleted' },
    );
    const leftover = (await redisCli(primaryPort, ['KEYS', bodyOf('*')]))
      .split('\n')
      .filter((key) => key !== '');
    assert.ok(leftover.length <= refused.length, `${String(leftover.length)} bodies left`);
    for (const key of leftover) {
      const id = key.slice(bodyOf('').length);
      assert.equal(await redisCli(primaryPort, ['EXISTS', `${stack.prefix}:delivery:${id}`]), '0');
    }
  });

  it('replica down: 451 4.3.0, and nothing of those messages is queued or delivered', async () => {
    await group.waitForReplicas(1);
    const primaryPort = await group.primaryPort();
    const replica = group.servers.find((server) => server.port !== primaryPort);
    assert.ok(replica);
    const bodiesBefore = (await readQueueState(await primaryUrl(), stack.prefix)).bodies;
    await replica.kill();
    try {
      for (let index = 0; index < 2; index++) {
        await assert.rejects(
          sendThroughRelay(stack.smtpPort, { subject: `no-replica-${String(index)}` }),
          /^Error: DATA: 451 4\.3\.0/,
        );
      }
      // Nothing was left behind for those messages: no body, no job.
      const state = await readQueueState(await primaryUrl(), stack.prefix);
      assert.equal(state.bodies, bodiesBefore);
      const waiting = await redisCli(primaryPort, ['LLEN', `${stack.prefix}:delivery:wait`]);
      assert.equal(waiting, '0');
    } finally {
      await replica.restart();
    }
    // With the replica back (the sentinels make it a replica again) mail flows,
    // and a marker sent now is delivered while none of the refused ones ever is.
    await group.waitForReplicas(1);
    await sendThroughRelay(stack.smtpPort, { subject: 'replica-back' });
    await waitFor(() => smartHost.messages.some((m) => subjectOf(m.data) === 'replica-back'), {
      timeoutMs: 30_000,
      description: 'the marker delivered',
    });
    const refusedDelivered = smartHost.messages.filter((m) =>
      subjectOf(m.data).startsWith('no-replica-'),
    );
    assert.deepEqual(refusedDelivered, []);
  });
});
