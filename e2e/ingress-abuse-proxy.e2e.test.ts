import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import {
  generateCertificates,
  startFakeSmartHost,
  type FakeSmartHost,
  type GeneratedCertificates,
} from '@smtp-relay/testkit';
import { openRawClient, type RawClient, type RawClientOptions } from './harness/raw-client.ts';
import { startRelayStack, type RelayStack } from './harness/relay-stack.ts';
import { useTestRedis, type TestRedis } from './harness/test-redis.ts';

// docs/reference.md "Abuse protection": SMTP_PROXY_PROTOCOL with SMTP_PROXY_TRUSTED: PROXY
// protocol v1 and v2 from trusted peers; the address it carries is the client
// address for relay networks, blocks, filters, logs and Received:. Connections
// from other peers are refused. Here the proxy is 127.0.0.1; 127.0.0.2 is
// another peer. v2 headers are written byte by byte (proxy-protocol.txt §2.2).
// A header without a client address (v2 LOCAL, v1 UNKNOWN: the proxy's own health
// check) keeps the proxy's address, which is in SMTP_RELAY_NETWORKS here, but such a
// session is never trusted (docs/adr/009-socket-level-abuse-guards.md).

const SOCKET_TIMEOUT_MS = 2000;
const SIGNATURE = '0d0a0d0a000d0a515549540a';
const hex = (text: string): Buffer => Buffer.from(text.replace(/\s/g, ''), 'hex');
const v2 = (verCmd: string, famProto: string, body: string): Buffer => {
  const block = hex(body);
  return Buffer.concat([
    hex(SIGNATURE + verCmd + famProto),
    Buffer.from([block.length >> 8, block.length & 0xff]),
    block,
  ]);
};
// 203.0.113.8:40001 -> 192.0.2.1:25
const V2_IPV4 = v2('21', '11', 'cb007108 c0000201 9c41 0019');
// 198.51.100.9 (outside SMTP_RELAY_NETWORKS) -> 192.0.2.1:25
const V2_OUTSIDER = v2('21', '11', 'c6336409 c0000201 9c41 0019');
// 2001:db8::7 -> 2001:db8::1, with a NOOP TLV (type 0x04) that must be skipped
const V2_IPV6 = v2(
  '21',
  '21',
  '20010db8000000000000000000000007 20010db8000000000000000000000001 9c40 0019 04 0002 0000',
);
const V2_LOCAL = v2('20', '00', '');
// The review's finding: ::203.0.113.9 (IPv4-compatible, deprecated) is an IPv6
// address and not in 203.0.113.0/24; ::ffff:203.0.113.9 (IPv4-mapped) is 203.0.113.9.
const V2_IPV4_COMPATIBLE = v2(
  '21',
  '21',
  '000000000000000000000000cb007109 20010db8000000000000000000000001 9c40 0019',
);
const V2_IPV4_MAPPED = v2(
  '21',
  '21',
  '00000000000000000000ffffcb007109 20010db8000000000000000000000001 9c40 0019',
);
const V1_IPV4 = 'PROXY TCP4 203.0.113.7 192.0.2.1 40000 25\r\n';
// "The receiver must ignore anything presented before the CRLF".
const V1_UNKNOWN = 'PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n';
const MAX_CLIENTS_PER_IP = 3;

describe('ingress abuse: PROXY protocol', () => {
  let redis: TestRedis;
  let certs: GeneratedCertificates;
  let smartHost: FakeSmartHost;
  let stack: RelayStack;
  let sent = 0;
  /** Sessions whose refusal a test already matched in the log. */
  const seenSessions = new Set<unknown>();

  const open = (options: Partial<RawClientOptions> = {}): Promise<RawClient> =>
    openRawClient({ port: stack.smtpPort, ...options });

  /** A message through a proxied session; resolves with its Received: header. */
  const relay = async (client: RawClient, subject: string): Promise<string> => {
    try {
      assert.match(await client.nextReply(), /^220 relay\.test ESMTP/);
      for (const [command, code] of [
        ['EHLO printer.test', '250'],
        ['MAIL FROM:<printer@office.test>', '250'],
        ['RCPT TO:<boss@example.test>', '250'],
        ['DATA', '354'],
        [`Subject: ${subject}\r\n\r\nproxied\r\n.`, '250'],
      ] as const) {
        client.write(`${command}\r\n`);
        const reply = await client.nextReply();
        assert.ok(reply.startsWith(code), `${command.split('\r')[0] ?? ''}: ${reply}`);
      }
    } finally {
      client.destroy();
    }
    sent += 1;
    const messages = await smartHost.waitForMessages(sent, 15_000);
    const message = messages.find((m) => m.data.toString('utf8').includes(`Subject: ${subject}`));
    assert.ok(message, `message "${subject}" at the smart host`);
    const text = message.data.toString('utf8');
    return text.slice(0, text.search(/\r\n(?![\t ])/) + 2);
  };

  /** The connection is closed without an SMTP greeting (nothing at all was sent). */
  const refusedSilently = async (client: RawClient, withinMs = 5000): Promise<void> => {
    try {
      assert.equal(await client.closed(withinMs), '');
    } finally {
      client.destroy();
    }
  };

  before(async () => {
    redis = await useTestRedis();
    certs = await generateCertificates();
    smartHost = await startFakeSmartHost({ tls: 'none' });
    stack = await startRelayStack({
      redisUrl: redis.url,
      smartHost: { port: smartHost.port, tls: 'none' },
      smtps: true,
      variables: {
        // 127.0.0.0/8 trusted too: a session judged by the proxy's address
        // instead of the carried one would be allowed to relay.
        SMTP_RELAY_NETWORKS: '127.0.0.0/8,203.0.113.0/24,2001:db8::/32',
        SMTP_SOCKET_TIMEOUT: `${String(SOCKET_TIMEOUT_MS)}ms`,
        // Small, to show that sockets of the proxy waiting for their header are not
        // capped by the proxy's address (it carries many clients).
        SMTP_MAX_CLIENTS_PER_IP: String(MAX_CLIENTS_PER_IP),
        TLS_CERT_FILE: certs.certFile,
        TLS_KEY_FILE: certs.keyFile,
      },
      ingressOverrides: { SMTP_PROXY_PROTOCOL: 'true', SMTP_PROXY_TRUSTED: '127.0.0.1/32' },
    });
  });

  after(async () => {
    const codes = await stack.stop();
    await smartHost.close();
    await certs.cleanup();
    await redis.cleanup();
    assert.deepEqual(codes, [0, 0]);
  });

  it('v1 TCP4: the carried address is the client in Received: and the log', async () => {
    const received = await relay(await open({ preamble: V1_IPV4 }), 'v1');
    assert.match(received, /^Received: from printer\.test \(203\.0\.113\.7 \[203\.0\.113\.7\]\)/);
    await stack.ingress.waitForLog((line) => line['client'] === '203.0.113.7');
  });

  it('v2 IPv6 with a TLV: the carried address is the client', async () => {
    const received = await relay(await open({ preamble: V2_IPV6 }), 'v2-ipv6');
    assert.match(received, /^Received: from printer\.test \(2001:db8::7 \[2001:db8::7\]\)/);
  });

  it('v2 before the TLS handshake on the SMTPS listener', async () => {
    const client = await open({
      port: stack.smtpsPort ?? 0,
      preamble: V2_IPV4,
      tls: { ca: certs.caCert, servername: 'localhost' },
    });
    const received = await relay(client, 'v2-smtps');
    assert.match(received, /^Received: from printer\.test \(203\.0\.113\.8 \[203\.0\.113\.8\]\)/);
    assert.match(received, /\(using TLSv1\.3 with cipher /);
  });

  it('relay networks apply to the carried address, not the proxy', async () => {
    const client = await open({ preamble: V2_OUTSIDER });
    try {
      assert.match(await client.nextReply(), /^220 /);
      client.write('EHLO printer.test\r\nMAIL FROM:<printer@office.test>\r\n');
      await client.nextReply();
      assert.match(await client.nextReply(), /^250 /);
      client.write('RCPT TO:<boss@example.test>\r\n');
      assert.match(await client.nextReply(), /^5\d\d 5\.7\.\d /);
    } finally {
      client.destroy();
    }
  });

  for (const [name, preamble, expected] of [
    [
      'IPv4-compatible ::203.0.113.9 is not in 203.0.113.0/24',
      V2_IPV4_COMPATIBLE,
      /^5\d\d 5\.7\.\d /,
    ],
    ['IPv4-mapped ::ffff:203.0.113.9 is 203.0.113.9, in 203.0.113.0/24', V2_IPV4_MAPPED, /^250 /],
  ] as const) {
    it(`relay networks and IPv6 forms of IPv4 addresses: ${name}`, async () => {
      const client = await open({ preamble });
      try {
        assert.match(await client.nextReply(), /^220 /);
        client.write('EHLO printer.test\r\nMAIL FROM:<printer@office.test>\r\n');
        await client.nextReply();
        assert.match(await client.nextReply(), /^250 /);
        client.write('RCPT TO:<boss@example.test>\r\n');
        assert.match(await client.nextReply(), expected);
      } finally {
        client.destroy();
      }
    });
  }

  for (const [name, preamble] of [
    ['v2 LOCAL', V2_LOCAL],
    ['v1 UNKNOWN', V1_UNKNOWN],
  ] as const) {
    it(`${name} (a health check) is greeted, but the proxy's trusted address may not relay`, async () => {
      const client = await open({ preamble });
      try {
        // HAProxy's smtpchk wants a 2xx greeting.
        assert.match(await client.nextReply(), /^220 relay\.test ESMTP/);
        client.write('EHLO lb.test\r\nMAIL FROM:<check@office.test>\r\n');
        await client.nextReply();
        assert.match(await client.nextReply(), /^250 /);
        client.write('RCPT TO:<boss@example.test>\r\n');
        // No AUTH in this stack: the relay refusal for an untrusted client.
        assert.match(await client.nextReply(), /^554 5\.7\.1 /);
      } finally {
        client.destroy();
      }
      const refused = await stack.ingress.waitForLog(
        (line) =>
          line.event === 'message.noqueue' &&
          line['proxyWithoutClientAddress'] === true &&
          !seenSessions.has(line['sessionId']),
      );
      seenSessions.add(refused['sessionId']);
      // Logs and Received: still name the real endpoint, the proxy.
      assert.equal(refused['client'], '127.0.0.1');
      await stack.ingress.waitForLog(
        (line) =>
          line.event === 'smtp.proxy.no-client-address' &&
          line['sessionId'] === refused['sessionId'] &&
          line['peer'] === '127.0.0.1',
      );
    });

    it(`${name}: not exempt from the refused-command limit (the 10th gets 421 4.7.0)`, async () => {
      const client = await open({ preamble });
      try {
        assert.match(await client.nextReply(), /^220 /);
        for (let i = 1; i < 10; i++) {
          client.write(`XYZZY${String(i)}\r\n`);
          assert.match(await client.nextReply(), /^500 /);
        }
        client.write('XYZZY10\r\n');
        assert.match(await client.nextReply(), /^421 4\.7\.0 /);
        await client.closed(5000);
      } finally {
        client.destroy();
      }
    });
  }

  it('does not cap sockets of the proxy waiting for their header by its address', async () => {
    // More than SMTP_MAX_CLIENTS_PER_IP connections from the proxy, each before its
    // header (on the SMTPS listener, so before a TLS handshake too)...
    const waiting = await Promise.all(
      Array.from({ length: MAX_CLIENTS_PER_IP + 1 }, () => open({ port: stack.smtpsPort ?? 0 })),
    );
    try {
      // ...and one more, with a header, still gets through.
      const client = await open({
        port: stack.smtpsPort ?? 0,
        preamble: V2_IPV4,
        tls: { ca: certs.caCert, servername: 'localhost' },
      });
      try {
        assert.match(await client.nextReply(), /^220 /);
      } finally {
        client.destroy();
      }
    } finally {
      for (const other of waiting) other.destroy();
    }
  });

  it('refuses a peer not in SMTP_PROXY_TRUSTED, even with a valid header', async () => {
    await refusedSilently(await open({ localAddress: '127.0.0.2', preamble: V1_IPV4 }));
    await stack.ingress.waitForLog(
      (line) => line.event === 'smtp.proxy.refused' && line['peer'] === '127.0.0.2',
    );
  });

  const malformed: readonly [string, Buffer | string][] = [
    ['SMTP instead of a header', 'EHLO printer.test\r\n'],
    ['v1 host name for an address', 'PROXY TCP4 evil.example 192.0.2.1 40000 25\r\n'],
    ['v1 TCP4 with an IPv6 address', 'PROXY TCP4 2001:db8::7 192.0.2.1 40000 25\r\n'],
    ['v1 bare LF', 'PROXY TCP4 203.0.113.7 192.0.2.1 40000 25\n'],
    ['v1 without end', `PROXY TCP4 203.0.113.7 ${'9'.repeat(200)}`],
    ['v2 version 1', v2('11', '11', 'cb007108 c0000201 9c41 0019')],
    ['v2 UDP', v2('21', '12', 'cb007108 c0000201 9c41 0019')],
    ['v2 PROXY without an address', v2('21', '00', '')],
  ];
  for (const [name, preamble] of malformed) {
    it(`refuses a malformed header from the trusted proxy: ${name}`, async () => {
      await refusedSilently(await open({ preamble }));
    });
  }

  it('closes a trusted peer that sends no header within SMTP_SOCKET_TIMEOUT', async () => {
    const started = performance.now();
    await refusedSilently(await open(), SOCKET_TIMEOUT_MS + 3000);
    assert.ok(performance.now() - started >= SOCKET_TIMEOUT_MS - 100);
    // What a load balancer without PROXY protocol looks like: worth an info line.
    const line = await stack.ingress.waitForLog(
      (l) =>
        l.event === 'smtp.proxy.refused' && /^no PROXY header within /.test(String(l['reason'])),
    );
    assert.equal(line.level, 'info');
  });

  it('closes a header trickled a byte at a time at SMTP_SOCKET_TIMEOUT', async () => {
    const client = await open();
    let next = 0;
    const timer = setInterval(() => {
      if (next < V1_IPV4.length) client.write(V1_IPV4.charAt(next++));
    }, 300);
    const started = performance.now();
    try {
      await refusedSilently(client, SOCKET_TIMEOUT_MS + 3000);
      const elapsed = performance.now() - started;
      assert.ok(
        elapsed < SOCKET_TIMEOUT_MS + 1500,
        `closed after ${String(Math.round(elapsed))} ms`,
      );
      assert.ok(next < V1_IPV4.length, 'closed before the header was complete');
    } finally {
      clearInterval(timer);
    }
  });
});
