import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getFreePort, smtpConversation, waitFor, type SmtpConversation } from '@smtp-relay/testkit';
import { startRelayProcess, type RelayProcess } from './harness/relay-process.ts';
import { runCli } from './harness/run-node.ts';
import { startRelayStack, type RelayStack } from './harness/relay-stack.ts';
import { useTestRedis, type TestRedis } from './harness/test-redis.ts';

// docs/reference.md "Abuse protection (ingress)", the review's attacker: "60 wrong AUTHs in
// 2 s, the right one accepted next". Two ingress processes share one Redis (two
// replicas); every test client is 127.0.0.1, so the tests run in order: block,
// lift by API, block again, lift by CLI, block by parallel guesses, lift, then the
// per-IP connection cap. 127.0.0.1 is outside SMTP_RELAY_NETWORKS here (see
// client-blocks-trusted.e2e.test.ts for a trusted address).

const TOKEN = 'e2e-admin-token-blocks-0123456789';
const PLAIN = (user: string, password: string): string =>
  `AUTH PLAIN ${Buffer.from(`\0${user}\0${password}`).toString('base64')}`;
const RIGHT = PLAIN('printer', 'printer-pass');
const WRONG = PLAIN('printer', 'guess');

interface BlockView {
  address: string;
  reason: string;
  until: string;
}

const cli = runCli;

/** The value of one counter of /metrics (0 while it has none). */
async function counterValue(adminPort: number, series: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${String(adminPort)}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

/** Resolves once the server closed the connection (after a 421). */
async function closedByServer(session: SmtpConversation): Promise<void> {
  await assert.rejects(session.readReply(5000), /closed|ended|ECONNRESET/i);
}

describe('AUTH failure blocking across ingress replicas', () => {
  let redis: TestRedis;
  let stack: RelayStack;
  let second: RelayProcess;
  let secondPort: number;
  let dir: string;

  const api = (process: RelayProcess, path: string, init: RequestInit = {}) =>
    fetch(`http://127.0.0.1:${String(process.adminPort)}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${TOKEN}` },
    });
  const connect = (port: number): Promise<SmtpConversation> => smtpConversation({ port });
  const greeted = async (port: number): Promise<SmtpConversation> => {
    const session = await connect(port);
    assert.equal(session.greeting.code, 220, session.greeting.text);
    await session.send('EHLO attacker.test');
    return session;
  };
  /** Five wrong passwords over three connections and both replicas. */
  const guessUntilBlocked = async (): Promise<void> => {
    const a = await greeted(stack.smtpPort);
    assert.equal((await a.send(WRONG)).code, 535);
    assert.equal((await a.send(WRONG)).code, 535);
    await a.close();
    const b = await greeted(secondPort);
    assert.equal((await b.send(WRONG)).code, 535);
    assert.equal((await b.send(WRONG)).code, 535);
    await b.close();
    const c = await greeted(stack.smtpPort);
    const fifth = await c.send(WRONG);
    assert.equal(fifth.code, 421, 'the fifth failure ends the connection');
    assert.match(fifth.text, /^4\.7\.0 /);
    await c.close();
  };
  const refusedOnConnect = async (port: number): Promise<void> => {
    const session = await connect(port);
    assert.equal(session.greeting.code, 421, session.greeting.text);
    assert.match(session.greeting.text, /^4\.7\.0 /);
    await closedByServer(session);
  };
  const env = (): Record<string, string> => ({ REDIS_URL: redis.url, QUEUE_PREFIX: stack.prefix });

  before(async () => {
    redis = await useTestRedis();
    dir = await mkdtemp(join(tmpdir(), 'client-blocks-'));
    const usersFile = join(dir, 'users');
    await writeFile(usersFile, 'printer printer-pass\n');
    const variables = {
      SMTP_AUTH_FILE: usersFile,
      SMTP_ALLOW_INSECURE_AUTH: 'true',
      ADMIN_TOKEN: TOKEN,
    };
    stack = await startRelayStack({
      redisUrl: redis.url,
      smartHost: { port: 9, tls: 'none' },
      withoutSender: true,
      variables,
    });
    secondPort = await getFreePort();
    second = await startRelayProcess({
      service: 'ingress',
      variables,
      overrides: {
        REDIS_URL: redis.url,
        QUEUE_PREFIX: stack.prefix,
        SMTP_HOSTNAME: 'relay2.test',
        LOG_LEVEL: 'debug',
        SMTP_PORT: String(secondPort),
      },
    });
  });

  after(async () => {
    const codes = await Promise.all([stack.stop(), second.stop()]);
    await rm(dir, { recursive: true, force: true });
    await redis.cleanup();
    assert.deepEqual(codes, [[0], 0]);
  });

  it('blocks an address after 5 failures on any replica: 421 on connect, the right password never reaches AUTH', async () => {
    // Opened before the block: it must not get in with the right password either.
    const early = await greeted(secondPort);
    await guessUntilBlocked();
    const blocked = await stack.ingress.waitForLog((line) => line.event === 'smtp.client.blocked');
    assert.equal(blocked['reason'], 'auth');
    assert.equal(blocked['failures'], 5);
    assert.equal(blocked['address'], '127.0.0.1');

    await refusedOnConnect(stack.smtpPort);
    await refusedOnConnect(secondPort);
    await second.waitForLog((line) => line.event === 'smtp.client.block-refused');

    const late = await early.send(RIGHT);
    assert.equal(late.code, 421, 'no 235 for a blocked address');
    assert.match(late.text, /^4\.7\.0 /);
    await closedByServer(early);
    const logs = JSON.stringify([...stack.ingress.logs, ...second.logs]);
    assert.ok(!logs.includes('smtp.auth.succeeded'), 'nobody authenticated');
    assert.ok(!logs.includes('printer-pass') && !logs.includes('guess'), 'no password logged');

    const metrics = await (
      await fetch(`http://127.0.0.1:${String(stack.ingress.adminPort)}/metrics`)
    ).text();
    assert.match(metrics, /^smtp_relay_client_blocks_total\{reason="auth"\} 1$/m);
  });

  it('lists the block and lifts it through the admin API (404 once it is gone)', async () => {
    const listed = await api(second, '/api/v1/blocks');
    assert.equal(listed.status, 200);
    const { blocks } = (await listed.json()) as { blocks: BlockView[] };
    assert.deepEqual(
      blocks.map(({ address, reason }) => ({ address, reason })),
      [{ address: '127.0.0.1', reason: 'auth' }],
    );
    const until = Date.parse(blocks[0]?.until ?? '');
    assert.ok(until > Date.now() + 14 * 60_000 && until <= Date.now() + 15 * 60_000, 'for 15m');

    const one = await api(stack.ingress, '/api/v1/blocks/::ffff:127.0.0.1');
    assert.equal(one.status, 200);
    assert.equal(((await one.json()) as BlockView).reason, 'auth');
    assert.equal((await api(stack.ingress, '/api/v1/blocks/192.0.2.1')).status, 404);
    assert.equal((await api(stack.ingress, '/api/v1/blocks/not-an-ip')).status, 400);
    assert.equal(
      (await fetch(`http://127.0.0.1:${String(stack.ingress.adminPort)}/api/v1/blocks`)).status,
      401,
    );

    const lifted = await api(stack.ingress, '/api/v1/blocks/127.0.0.1', { method: 'DELETE' });
    assert.equal(lifted.status, 200);
    assert.equal(
      (await api(stack.ingress, '/api/v1/blocks/127.0.0.1', { method: 'DELETE' })).status,
      404,
    );
    assert.equal((await api(second, '/api/v1/blocks/127.0.0.1')).status, 404);

    const session = await greeted(secondPort);
    assert.equal((await session.send(RIGHT)).code, 235);
    await session.close();
  });

  it('blocks again from scratch, and `smtp-relay blocks` lists and lifts it', async () => {
    await guessUntilBlocked();
    await refusedOnConnect(secondPort);

    const list = await cli(['blocks', 'list'], env());
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^1 blocked$/m);
    assert.match(list.stdout, /^127\.0\.0\.1 +auth +until \d{4}-\d\d-\d\dT/m);
    const json = await cli(['blocks', 'list', '--json'], env());
    const parsed = JSON.parse(json.stdout) as { blocks: BlockView[] };
    assert.equal(parsed.blocks[0]?.address, '127.0.0.1');

    const lift = await cli(['blocks', 'lift', '127.0.0.1'], env());
    assert.equal(lift.code, 0, lift.stderr);
    assert.match(lift.stdout, /127\.0\.0\.1: block lifted/);
    const again = await cli(['blocks', 'lift', '127.0.0.1'], env());
    assert.equal(again.code, 1);
    assert.match(again.stderr, /not blocked/);
    assert.equal((await cli(['blocks', 'show', '127.0.0.1'], env())).code, 1);
    assert.equal((await cli(['blocks', 'lift', 'example.com'], env())).code, 2);

    const session = await greeted(stack.smtpPort);
    assert.equal((await session.send(RIGHT)).code, 235);
    await session.close();
  });

  it('parallel wrong AUTHs, the right password sent last: refused, and 421 on connect after', async () => {
    // SMTP_AUTH_MAX_FAILURES (5) + 2 guesses at once, each on its own connection, plus
    // one connection opened with them that sends the right password once they are answered.
    const guesses = 7;
    const blocksTotal = 'smtp_relay_client_blocks_total{reason="auth"}';
    const blocksBefore = await counterValue(stack.ingress.adminPort, blocksTotal);
    const sessions = await Promise.all(
      Array.from({ length: guesses + 1 }, () => greeted(stack.smtpPort)),
    );
    const [patient, ...guessing] = sessions;
    assert.ok(patient);
    try {
      const replies = await Promise.all(guessing.map((session) => session.send(WRONG)));
      // Redis counts the failures one at a time: four are plain failures, the fifth
      // blocks, and the rest (counted after it, or refused before the password check)
      // hear the block.
      assert.deepEqual(
        replies.map((reply) => reply.code).sort(),
        [421, 421, 421, 535, 535, 535, 535],
      );
      for (const reply of replies.filter(({ code }) => code === 421)) {
        assert.match(reply.text, /^4\.7\.0 /);
      }

      const last = await patient.send(RIGHT);
      assert.equal(last.code, 421, 'no 235 once the guesses blocked the address');
      assert.match(last.text, /^4\.7\.0 Connections from your address are blocked/);
      await closedByServer(patient);

      const refused = 'smtp_relay_connections_refused_total{reason="blocked-auth"}';
      const before = await counterValue(stack.ingress.adminPort, refused);
      // The right password on a new connection never reaches AUTH, nor on the next ones.
      await refusedOnConnect(stack.smtpPort);
      await refusedOnConnect(stack.smtpPort);
      await refusedOnConnect(stack.smtpPort);
      await refusedOnConnect(secondPort);
      assert.equal(
        await counterValue(stack.ingress.adminPort, refused),
        before + 3,
        'each refusal counted',
      );

      const listed = (await (await api(second, '/api/v1/blocks')).json()) as {
        blocks: BlockView[];
      };
      assert.deepEqual(
        listed.blocks.map(({ address, reason }) => ({ address, reason })),
        [{ address: '127.0.0.1', reason: 'auth' }],
      );
      // Metrics, not log lines: the log reaches the test asynchronously.
      assert.equal(
        await counterValue(stack.ingress.adminPort, blocksTotal),
        blocksBefore + 1,
        'one block for the burst',
      );
    } finally {
      await Promise.all(sessions.map((session) => session.close()));
      await api(stack.ingress, '/api/v1/blocks/127.0.0.1', { method: 'DELETE' });
    }
  });

  it('refuses the 51st concurrent connection from one address with 421 4.7.0 (SMTP_MAX_CLIENTS_PER_IP)', async () => {
    // Sessions of earlier tests may still be closing on the server side.
    const sessions = await waitFor(
      async () => {
        const opened = await Promise.all(Array.from({ length: 50 }, () => connect(stack.smtpPort)));
        if (opened.every((session) => session.greeting.code === 220)) return opened;
        await Promise.all(opened.map((session) => session.close()));
        return undefined;
      },
      { description: '50 connections accepted' },
    );
    try {
      const extra = await connect(stack.smtpPort);
      assert.equal(extra.greeting.code, 421);
      assert.match(extra.greeting.text, /^4\.7\.0 Too many connections from your address/);
      await closedByServer(extra);
      await stack.ingress.waitForLog((line) => line.event === 'smtp.client.connection-limit');
      assert.ok(
        (await counterValue(
          stack.ingress.adminPort,
          'smtp_relay_connections_refused_total{reason="per-ip-limit"}',
        )) >= 1,
      );
      // Counted per process: the other replica has its own 50.
      const elsewhere = await connect(secondPort);
      assert.equal(elsewhere.greeting.code, 220);
      await elsewhere.close();

      // A connection that ends frees its slot.
      await sessions.pop()?.close();
      const next = await waitFor(
        async () => {
          const candidate = await connect(stack.smtpPort);
          if (candidate.greeting.code === 220) return candidate;
          await candidate.close();
          return undefined;
        },
        { description: 'a freed slot' },
      );
      sessions.push(next);

      // A session that QUITs frees its slot at the 221, before its socket closes:
      // a device that sends one message per connection reconnects at once. This
      // client never closes its side, so the server's socket stays open.
      await sessions.pop()?.close();
      const quitting = await waitFor(
        async () => {
          const candidate = await halfOpenConnection(stack.smtpPort);
          if (candidate.transcript().startsWith('220 ')) return candidate;
          candidate.socket.destroy();
          return undefined;
        },
        { description: 'a freed slot for the quitting client' },
      );
      try {
        quitting.socket.write('QUIT\r\n');
        await waitFor(() => /^221 /m.test(quitting.transcript()), { description: 'the 221' });
        const reconnected = await connect(stack.smtpPort);
        sessions.push(reconnected);
        assert.equal(reconnected.greeting.code, 220);
        assert.equal(quitting.socket.destroyed, false);
      } finally {
        quitting.socket.destroy();
      }
    } finally {
      await Promise.all(sessions.map((session) => session.close()));
    }
  });
});

/** A connection that never closes its own side, with everything it was sent so far. */
async function halfOpenConnection(
  port: number,
): Promise<{ readonly socket: net.Socket; transcript(): string }> {
  const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  let transcript = '';
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.on('data', (chunk: Buffer) => {
      transcript += chunk.toString('latin1');
      if (transcript.includes('\r\n')) resolve();
    });
  });
  return { socket, transcript: () => transcript };
}
