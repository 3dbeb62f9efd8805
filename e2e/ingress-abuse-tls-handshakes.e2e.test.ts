import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateCertificates, waitFor, type GeneratedCertificates } from '@smtp-relay/testkit';
import { openRawClient, type RawClient } from './harness/raw-client.ts';
import { startRelayStack, type RelayStack } from './harness/relay-stack.ts';
import { useTestRedis, type TestRedis } from './harness/test-redis.ts';

// SMTP_MAX_CLIENTS_PER_IP (README "Security"): more connections from one address
// get 421 4.7.0. That count starts with the session; on the implicit-TLS listener
// a socket spends its TLS handshake before that, and one address could hold every
// pending slot (SMTP_MAX_CLIENTS) with handshakes trickled in until
// SMTP_SOCKET_TIMEOUT. Handshakes in progress are capped per address too; nothing
// can be said before TLS, so the extra socket is just closed
// (docs/adr/009-socket-level-abuse-guards.md).

const MAX_CLIENTS_PER_IP = 3;
// A ClientHello cut short: the TLS record header promises 200 bytes, 70 come.
const HALF_A_CLIENT_HELLO = Buffer.from(`16030100c8010000c40303${'00'.repeat(64)}`, 'hex');

describe('ingress abuse: TLS handshakes per address', () => {
  let redis: TestRedis;
  let certs: GeneratedCertificates;
  let stack: RelayStack;

  const smtpsPort = (): number => stack.smtpsPort ?? 0;
  /** Connects, then sends half a handshake, or nothing at all, and stalls. */
  const stalled = (preamble?: Buffer): Promise<RawClient> =>
    openRawClient({ port: smtpsPort(), ...(preamble ? { preamble } : {}) });
  const tlsClient = (localAddress = '127.0.0.1'): Promise<RawClient> =>
    openRawClient({
      port: smtpsPort(),
      localAddress,
      tls: { ca: certs.caCert, servername: 'localhost' },
    });

  /**
   * A greeted TLS session from 127.0.0.1, once there is room: sockets a test
   * closed are closed on the server a moment later.
   */
  const greetedTlsClient = (): Promise<RawClient> =>
    waitFor(
      async () => {
        const client = await tlsClient();
        const reply = await client.nextReply(5000).catch(() => undefined);
        if (reply?.startsWith('220 ')) return client;
        client.destroy();
        return undefined;
      },
      { timeoutMs: 10_000, description: 'a greeted TLS session from 127.0.0.1' },
    );

  before(async () => {
    redis = await useTestRedis();
    certs = await generateCertificates();
    stack = await startRelayStack({
      redisUrl: redis.url,
      smartHost: { port: 9, tls: 'none' },
      withoutSender: true,
      smtps: true,
      variables: {
        SMTP_MAX_CLIENTS_PER_IP: String(MAX_CLIENTS_PER_IP),
        // Far beyond the test: only the cap may close the stalled sockets.
        SMTP_SOCKET_TIMEOUT: '60s',
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

  it('closes one handshake too many from an address at once; the slots come back when they close', async () => {
    // Accepted in the order they connected: these three are counted first.
    const holders = [
      await stalled(),
      await stalled(HALF_A_CLIENT_HELLO),
      await stalled(HALF_A_CLIENT_HELLO),
    ];
    try {
      const extra = await tlsClient();
      try {
        // Closed without a session: no greeting, no TLS even.
        assert.equal(await extra.closed(5000), '');
      } finally {
        extra.destroy();
      }
      const line = await stack.ingress.waitForLog(
        (l) => l.event === 'smtp.client.handshake-limit' && l['peer'] === '127.0.0.1',
      );
      assert.equal(line['pending'], MAX_CLIENTS_PER_IP);
      assert.equal(line.level, 'info', 'the first one of a minute is worth an info line');

      // Another address is not affected meanwhile.
      const neighbour = await tlsClient('127.0.0.2');
      try {
        assert.match(await neighbour.nextReply(), /^220 relay\.test ESMTP/);
      } finally {
        neighbour.destroy();
      }
    } finally {
      for (const holder of holders) holder.destroy();
    }

    // The server sees the three close a moment after we close them: retried until then.
    (await greetedTlsClient()).destroy();
  });

  it('a finished handshake frees its slot: sessions are then capped by the session count', async () => {
    const sessions: RawClient[] = [];
    try {
      for (let i = 0; i < MAX_CLIENTS_PER_IP; i++) {
        sessions.push(await greetedTlsClient());
      }
      // Three sessions, no handshake in progress: a fourth handshake is let in,
      // and the session it leads to hears the per-address limit of onConnect.
      const fourth = await tlsClient();
      try {
        assert.match(await fourth.nextReply(), /^421 4\.7\.0 /);
      } finally {
        fourth.destroy();
      }
    } finally {
      for (const client of sessions) client.destroy();
    }
  });
});
