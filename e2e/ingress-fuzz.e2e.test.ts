import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateCertificates, type GeneratedCertificates } from '@smtp-relay/testkit';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { startRelayStack, type RelayStack } from './harness/relay-stack.ts';
import { runSession } from './harness/smtp-fuzz/run-session.ts';
import { FUZZ_PASSWORD, FUZZ_USER, fuzzSession } from './harness/smtp-fuzz/session-arbitrary.ts';
import { useTestRedis, type TestRedis } from './harness/test-redis.ts';

// Protocol fuzzing of a real ingress process: sessions from a seeded
// generator (valid ones, and the same cut short, reordered, pipelined,
// binary, with STARTTLS and AUTH in odd places, or random bytes). Whatever
// comes: no crash, a stalled connection closed by the timeouts, no 250 for a
// message the client did not end, nothing queued without a 250, and memory
// bounded. FUZZ_RUNS and FUZZ_SEED run it longer or replay a failure:
//   FUZZ_RUNS=2000 node --test e2e/ingress-fuzz.e2e.test.ts

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 60);
const SEED = Number(process.env['FUZZ_SEED'] ?? 20_261_205);
const SOCKET_TIMEOUT_MS = 2000;
/** Peak RSS the ingress may reach over the whole run. */
const MAX_PEAK_RSS_MB = 300;

describe('ingress under generated SMTP sessions', () => {
  let redis: TestRedis;
  let certs: GeneratedCertificates;
  let dir: string;
  let stack: RelayStack;

  before(async () => {
    redis = await useTestRedis();
    certs = await generateCertificates();
    dir = await mkdtemp(join(tmpdir(), 'ingress-fuzz-'));
    const users = join(dir, 'users');
    await writeFile(users, `${FUZZ_USER} ${FUZZ_PASSWORD}\n`);
    stack = await startRelayStack({
      redisUrl: redis.url,
      smartHost: { port: 9, tls: 'none' },
      // No sender: what ingress queued stays in Redis to be compared.
      withoutSender: true,
      variables: {
        SMTP_AUTH_FILE: users,
        TLS_CERT_FILE: certs.certFile,
        TLS_KEY_FILE: certs.keyFile,
        // Only AUTH relays, so a generated session has to earn its 250.
        SMTP_RELAY_NETWORKS: '',
        SMTP_SOCKET_TIMEOUT: `${String(SOCKET_TIMEOUT_MS / 1000)}s`,
        SMTP_MAX_MESSAGE_SIZE: '64k',
        // The fuzzer's wrong passwords must not get it blocked: that would end the run early.
        SMTP_AUTH_MAX_FAILURES: '1000000',
        SMTP_MAX_CLIENTS_PER_IP: '1000',
      },
    });
  });

  after(async () => {
    const codes = await stack.stop();
    await certs.cleanup();
    await rm(dir, { recursive: true, force: true });
    await redis.cleanup();
    assert.deepEqual(codes, [0]);
  });

  it(`survives ${String(RUNS)} sessions, queueing exactly what it answered 250 for`, async (t) => {
    const seen = new Set<string>();
    const terminated = new Set<string>();
    let sessions = 0;
    let transactions = 0;
    await fc.assert(
      fc.asyncProperty(fuzzSession, async (session) => {
        const outcome = await runSession(stack.smtpPort, session, `s${String(sessions++)}`, {
          // Ingress on loopback answers in milliseconds; a step without an answer
          // (message text, a command the server is still reading) waits this long.
          replyMs: 400,
          stallLimitMs: SOCKET_TIMEOUT_MS * 2 + 2000,
        });
        for (const id of outcome.queuedIds) seen.add(id);
        for (const marker of outcome.terminatedMarkers) terminated.add(marker);
        transactions += outcome.queuedIds.length;
        // Nothing is left hanging: a connection that goes quiet is closed by the server.
        if (session.stall && outcome.replies.length > 0) {
          assert.notEqual(outcome.stallClosedAfterMs, undefined, 'a stalled session was closed');
        }
        // Every reply is a well-formed SMTP reply line.
        for (const reply of outcome.replies) assert.match(reply, /^[2-5]\d\d[ -]/);
        assert.equal(stack.ingress.child.exitCode, null, 'ingress still running');
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );

    // Nothing queued without a 250, and no 250 without a queued message.
    const connection = new Redis(redis.url);
    try {
      const jobKeys = await connection.keys(`${stack.prefix}:delivery:*`);
      const jobIds = new Set(
        jobKeys
          .map((key) => key.slice(`${stack.prefix}:delivery:`.length))
          .filter((id) => /^[0-9A-Z]{26}$/.test(id)),
      );
      assert.deepEqual([...jobIds].sort(), [...seen].sort());
      // Each queued message is one the client ended with CRLF.CRLF.
      for (const id of jobIds) {
        const body = Buffer.concat(
          await connection.lrangeBuffer(`${stack.prefix}:body:${id}`, 0, -1),
        );
        const marker = /X-Fuzz-Marker: (\S+)/.exec(body.toString('latin1'))?.[1];
        assert.ok(marker !== undefined && terminated.has(marker), `${id}: a terminated body`);
      }
    } finally {
      connection.disconnect();
    }
    const health = await fetch(`http://127.0.0.1:${String(stack.ingress.adminPort)}/healthz`);
    assert.equal(health.status, 200);
    const status = await readFile(`/proc/${String(stack.ingress.child.pid)}/status`, 'utf8');
    const peakMb = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) / 1024;
    assert.ok(peakMb < MAX_PEAK_RSS_MB, `ingress peak RSS ${peakMb.toFixed(0)} MB`);
    t.diagnostic(
      `${String(sessions)} sessions, ${String(transactions)} messages queued, seed ${String(SEED)}, peak RSS ${peakMb.toFixed(0)} MB`,
    );
    assert.ok(transactions > 0, 'some generated sessions got a message through');
  });
});
