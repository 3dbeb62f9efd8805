import assert from 'node:assert/strict';
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import {
  generateCertificates,
  smtpConversation,
  waitFor,
  type GeneratedCertificates,
  type SmtpConversation,
} from '@smtp-relay/testkit';
import { readQueueState } from './harness/queue-state.ts';
import { startRelayStack, type RelayStack } from './harness/relay-stack.ts';
import { useTestRedis, type TestRedis } from './harness/test-redis.ts';

// docs/reference.md "Abuse protection": "A command line must be complete within
// SMTP_SOCKET_TIMEOUT however slowly its bytes trickle in, and DATA must move at
// least 1 KiB per SMTP_SOCKET_TIMEOUT; otherwise 421 4.4.2 and the connection
// closes." Before, a client sending a byte every 2 s held its slot forever:
// smtp-server's idle timer restarts on every byte. One slot (SMTP_MAX_CLIENTS=1)
// shows that a closed slow client frees it.

const TIMEOUT_MS = 1000;

/** Writes one byte of `text` every `everyMs` until stopped (or the text ends). */
function trickle(session: SmtpConversation, text: string, everyMs: number): { stop(): void } {
  let next = 0;
  const timer = setInterval(() => {
    if (next < text.length) session.sendRaw(text.charAt(next++));
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
    },
  };
}

describe('ingress abuse: slow clients', () => {
  let redis: TestRedis;
  let certs: GeneratedCertificates;
  let stack: RelayStack;
  const connect = (): Promise<SmtpConversation> =>
    smtpConversation({ port: stack.smtpPort, timeoutMs: 5000 });

  /**
   * A session in the single slot, once it is free: the session of a previous
   * test may still be closing on the server side.
   */
  const greetedSession = (): Promise<SmtpConversation> =>
    waitFor(
      async () => {
        const session = await connect();
        if (session.greeting.code === 220) return session;
        await session.close();
        return undefined;
      },
      { timeoutMs: 8000, description: 'a free client slot' },
    );
  const slotIsFree = async (): Promise<void> => {
    await (await greetedSession()).close();
  };

  before(async () => {
    redis = await useTestRedis();
    certs = await generateCertificates();
    stack = await startRelayStack({
      redisUrl: redis.url,
      smartHost: { port: 9, tls: 'none' },
      withoutSender: true,
      variables: {
        SMTP_RELAY_NETWORKS: '127.0.0.0/8',
        SMTP_MAX_CLIENTS: '1',
        SMTP_SOCKET_TIMEOUT: `${String(TIMEOUT_MS)}ms`,
        TLS_CERT_FILE: certs.certFile,
        TLS_KEY_FILE: certs.keyFile,
      },
    });
  });

  after(async () => {
    const codes = await stack.stop();
    await certs.cleanup();
    await redis.cleanup();
    assert.deepEqual(codes, [0]);
  });

  it('closes a command line trickled a byte at a time with 421 4.4.2 and frees the slot', async () => {
    const session = await greetedSession();
    assert.equal(session.greeting.code, 220);
    const started = performance.now();
    // Every 250 ms: smtp-server's own idle timeout (also 1 s) never fires.
    const drip = trickle(session, 'NOOP NOOP NOOP NOOP NOOP NOOP NOOP', 250);
    try {
      const other = await connect();
      assert.equal(other.greeting.code, 421, 'the slow client holds the only slot');
      await other.close();
      const reply = await session.readReply(5000);
      const elapsed = performance.now() - started;
      assert.equal(reply.code, 421);
      assert.match(reply.text, /^4\.4\.2 /);
      assert.ok(
        elapsed >= TIMEOUT_MS,
        `not before the deadline (${String(Math.round(elapsed))} ms)`,
      );
    } finally {
      drip.stop();
      await session.close();
    }
    await slotIsFree();
    const log = await stack.ingress.waitForLog(
      (line) => line.event === 'smtp.session.too-slow' && line['reason'] === 'command-line',
    );
    assert.equal(log['smtpCode'], 421);
  });

  it('closes a DATA transfer under 1 KiB per SMTP_SOCKET_TIMEOUT with 421 4.4.2, queueing nothing', async () => {
    const session = await greetedSession();
    const body = `Subject: slow\r\n\r\n${'x'.repeat(4000)}\r\n.\r\n`;
    let drip: { stop(): void } | undefined;
    try {
      assert.equal((await session.send('EHLO printer.test')).code, 250);
      assert.equal((await session.send('MAIL FROM:<printer@office.test>')).code, 250);
      assert.equal((await session.send('RCPT TO:<boss@example.test>')).code, 250);
      assert.equal((await session.send('DATA')).code, 354);
      // 20 bytes every 100 ms: 200 bytes per second, each byte well inside the idle timeout.
      const chunks = body.match(/[\s\S]{1,20}/g) ?? [];
      let next = 0;
      const timer = setInterval(() => {
        const chunk = chunks[next++];
        if (chunk !== undefined) session.sendRaw(chunk);
      }, 100);
      drip = {
        stop() {
          clearInterval(timer);
        },
      };
      const reply = await session.readReply(5000);
      assert.equal(reply.code, 421);
      assert.match(reply.text, /^4\.4\.2 /);
    } finally {
      drip?.stop();
      await session.close();
    }
    await slotIsFree();
    await stack.ingress.waitForLog(
      (line) => line.event === 'smtp.session.too-slow' && line['reason'] === 'data-rate',
    );
    await waitFor(
      async () => {
        const state = await readQueueState(redis.url, stack.prefix);
        return state.jobs === 0 && state.bodies === 0 ? state : undefined;
      },
      { timeoutMs: 5000, description: 'nothing queued or stored' },
    );
  });

  /**
   * A raw socket in the single slot, once it is free and greeted: smtpConversation
   * cannot send half a ClientHello. Retries like greetedSession (the previous
   * session may still be closing on the server side).
   */
  async function greetedRawSocket(): Promise<{
    socket: net.Socket;
    closed: Promise<void>;
    text: () => string;
  }> {
    return waitFor(
      async () => {
        const socket = net.connect({ host: '127.0.0.1', port: stack.smtpPort });
        socket.on('error', () => undefined);
        const closed = new Promise<void>((resolve) =>
          socket.once('close', () => {
            resolve();
          }),
        );
        let received = '';
        socket.on('data', (chunk: Buffer) => {
          received += chunk.toString('latin1');
        });
        const greeted = await waitFor(() => (/^\d{3} /m.test(received) ? true : undefined), {
          timeoutMs: 10_000,
          intervalMs: 10,
          description: 'a greeting',
        }).catch(() => false);
        if (greeted && received.startsWith('220 ')) return { socket, closed, text: () => received };
        socket.destroy();
        await closed;
        return undefined;
      },
      { timeoutMs: 30_000, description: 'a free, greeted client slot' },
    );
  }

  it('closes a STARTTLS handshake trickled a byte at a time and frees the slot', async () => {
    await slotIsFree();
    const { socket, closed, text: received } = await greetedRawSocket();
    const lines = (pattern: RegExp): Promise<unknown> =>
      waitFor(() => (pattern.test(received()) ? true : undefined), {
        timeoutMs: 5000,
        intervalMs: 10,
        description: `${String(pattern)} in ${JSON.stringify(received())}`,
      });
    let timer: NodeJS.Timeout | undefined;
    try {
      socket.write('EHLO printer.test\r\n');
      await lines(/^250 /m);
      socket.write('STARTTLS\r\n');
      await lines(/^220 2\.0\.0 /m);
      const started = performance.now();
      // A TLS 1.0 record header and the start of a ClientHello, 100 ms apart.
      const hello = Buffer.from(`16030100c8010000c40303${'00'.repeat(64)}`, 'hex');
      let next = 0;
      timer = setInterval(() => {
        if (next < hello.length) socket.write(hello.subarray(next, ++next));
      }, 100);
      await waitFor(() => (socket.destroyed || socket.readableEnded ? true : undefined), {
        timeoutMs: 5000,
        intervalMs: 10,
        description: 'the server closing the connection',
      });
      const elapsed = performance.now() - started;
      assert.ok(
        elapsed >= TIMEOUT_MS - 50,
        `not before the deadline (${String(Math.round(elapsed))} ms)`,
      );
    } finally {
      clearInterval(timer);
      socket.destroy();
      await closed;
    }
    await slotIsFree();
    // Which timer closed it (the handshake deadline, or the idle timeout when a loaded
    // machine delays the trickle past it) is not asserted: the slot is free either way.
  });

  it('lets a slow but steady client through: each line in time, DATA at 1 KiB+ per timeout', async () => {
    const session = await greetedSession();
    try {
      // Three NOOPs, each split in two 400 ms apart: 1.2 s in all, each line in time.
      for (let i = 0; i < 3; i++) {
        session.sendRaw('NO');
        await delay(400);
        assert.equal((await session.send('OP')).code, 250);
      }
      assert.equal((await session.send('EHLO printer.test')).code, 250);
      assert.equal((await session.send('MAIL FROM:<printer@office.test>')).code, 250);
      assert.equal((await session.send('RCPT TO:<boss@example.test>')).code, 250);
      assert.equal((await session.send('DATA')).code, 354);
      session.sendRaw('Subject: steady\r\n\r\n');
      // 1.5 KiB every 500 ms for 2.5 s: more than 1 KiB in every 1 s window.
      for (let i = 0; i < 5; i++) {
        session.sendRaw(`${'y'.repeat(1534)}\r\n`);
        await delay(500);
      }
      const queued = await session.send('.');
      assert.equal(queued.code, 250, queued.text);
      assert.match(queued.text, /^2\.0\.0 Ok: queued as /);
      assert.equal((await session.send('QUIT')).code, 221);
    } finally {
      await session.close();
    }
  });
});
