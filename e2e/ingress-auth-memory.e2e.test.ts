import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  hashMemoryBytes,
  hashPassword,
  MAX_HASH_MEMORY_BYTES,
  readStoredSecret,
} from '@smtp-relay/policy';
import { smtpConversation, type SmtpConversation } from '@smtp-relay/testkit';
import { startRelayStack, type RelayStack } from './harness/relay-stack.ts';
import { useTestRedis, type TestRedis } from './harness/test-redis.ts';

// README "Security", password hashing as a weapon: a users file of scrypt hashes
// as `npx smtp-relay passwd` writes them (N = 2^16, r = 8, p = 2: 64 MiB per
// check, just within the cap), and many AUTHs at once, for unknown users (checked
// against a dummy hash with the same parameters) and for a known user with a
// wrong password. Hashing memory must stay bounded by the two hashing slots of
// the process, whatever the number of connections: without that bound, 8 parallel
// AUTHs took ingress past 512 MiB, a container's memory limit in infra/k8s.
// The measure is the kernel's peak resident set size of the ingress process
// (VmHWM in /proc/<pid>/status), so this test runs on Linux only.

const MiB = 1024 * 1024;
/** AUTHs sent at once per round, each on its own connection. */
const PARALLEL = 12;
const ROUNDS = 3;
/**
 * Generous deadline for one reply: with two slots, the last of PARALLEL AUTHs
 * waits for PARALLEL / 2 checks before its own (a wait, not a measure of speed).
 */
const REPLY_TIMEOUT_MS = 120_000;

const PLAIN = (user: string, password: string): string =>
  `AUTH PLAIN ${Buffer.from(`\0${user}\0${password}`).toString('base64')}`;

interface MemoryStatus {
  /** Peak resident set size since start or the last reset (VmHWM), in bytes. */
  readonly peak: number;
  /** Resident set size now (VmRSS), in bytes. */
  readonly resident: number;
}

async function memoryStatus(pid: number): Promise<MemoryStatus> {
  const status = await readFile(`/proc/${String(pid)}/status`, 'utf8');
  const kib = (field: string): number => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
    assert.ok(match?.[1] !== undefined, `${field} in /proc/${String(pid)}/status`);
    return Number(match[1]) * 1024;
  };
  return { peak: kib('VmHWM'), resident: kib('VmRSS') };
}

/**
 * Sets the process's peak resident set size back to its current one (proc(5),
 * clear_refs "5"), so the peak measured afterwards is that of what follows,
 * not of start-up.
 */
async function resetPeak(pid: number): Promise<void> {
  await writeFile(`/proc/${String(pid)}/clear_refs`, '5');
}

const inMiB = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;

describe(
  'ingress memory under parallel AUTHs against 64 MiB scrypt hashes',
  { skip: process.platform !== 'linux' && 'reads the peak RSS from /proc/<pid>/status' },
  () => {
    let redis: TestRedis;
    let stack: RelayStack;
    let dir: string;
    /** Bytes one check of the file's hashes allocates (OpenSSL's accounting). */
    let perCheck: number;

    const pidOfIngress = (): number => {
      const { pid } = stack.ingress.child;
      assert.ok(pid !== undefined, 'ingress has a pid');
      return pid;
    };

    const greeted = async (): Promise<SmtpConversation> => {
      const session = await smtpConversation({
        port: stack.smtpPort,
        timeoutMs: REPLY_TIMEOUT_MS,
      });
      assert.equal(session.greeting.code, 220, session.greeting.text);
      assert.equal((await session.send('EHLO device.test')).code, 250);
      return session;
    };

    /**
     * PARALLEL connections, all greeted before any AUTH is sent; then every AUTH
     * at once, half for unknown users, half for the known user with a wrong
     * password. The reply codes, in connection order.
     */
    const parallelRound = async (round: number): Promise<number[]> => {
      const sessions = await Promise.all(Array.from({ length: PARALLEL }, greeted));
      try {
        const replies = await Promise.all(
          sessions.map((session, index) =>
            session.send(
              index % 2 === 0
                ? PLAIN(`nobody-${String(round)}-${String(index)}`, 'guess')
                : PLAIN('printer', `wrong-${String(round)}-${String(index)}`),
            ),
          ),
        );
        return replies.map((reply) => reply.code);
      } finally {
        await Promise.all(sessions.map((session) => session.close()));
      }
    };

    const authCode = async (user: string, password: string): Promise<number> => {
      const session = await greeted();
      try {
        return (await session.send(PLAIN(user, password))).code;
      } finally {
        await session.close();
      }
    };

    before(async () => {
      redis = await useTestRedis();
      dir = await mkdtemp(join(tmpdir(), 'ingress-auth-memory-'));
      const users = await Promise.all(
        ['printer', 'scanner', 'fax'].map(
          async (user) => `${user} ${await hashPassword(`${user}-pass`, 'scrypt')}`,
        ),
      );
      const secret = readStoredSecret(users[0]?.split(' ')[1] ?? '');
      assert.ok(secret?.kind === 'scrypt', 'hashPassword wrote a scrypt hash');
      perCheck = hashMemoryBytes(secret);
      // Close to the cap: the hashes this test checks are the costliest accepted.
      assert.ok(perCheck > 64 * MiB - MiB && perCheck <= MAX_HASH_MEMORY_BYTES, inMiB(perCheck));
      const usersFile = join(dir, 'users');
      await writeFile(usersFile, `${users.join('\n')}\n`);
      stack = await startRelayStack({
        redisUrl: redis.url,
        smartHost: { port: 9, tls: 'none' },
        withoutSender: true,
        variables: {
          SMTP_AUTH_FILE: usersFile,
          SMTP_ALLOW_INSECURE_AUTH: 'true',
          // Every wrong password here counts towards a block of 127.0.0.1; blocking
          // (421 without a hash computed) would hide what this test measures.
          SMTP_AUTH_MAX_FAILURES: '1000',
        },
        ingressOverrides: {
          // The image's Node options (infra/Dockerfile), so the heap behaves as in
          // a container.
          NODE_OPTIONS: '--max-semi-space-size=4',
          // libuv's default pool of 4 threads would by itself keep hashing to 4 at
          // once; with a thread per connection (an operator may well raise it), the
          // hashing slots are the only bound on how many hashes run together.
          UV_THREADPOOL_SIZE: String(PARALLEL),
        },
      });
      await stack.ingress.waitForLog((line) => line.event === 'credentials.loaded');
    });

    after(async () => {
      const codes = await stack.stop();
      await rm(dir, { recursive: true, force: true });
      await redis.cleanup();
      assert.deepEqual(codes, [0]);
    });

    it('answers every AUTH with 535, stays up, and its peak RSS grows by less than 3 checks', async (t) => {
      const pid = pidOfIngress();
      // One check first, so what a first hash sets up for good (the thread pool,
      // OpenSSL's scrypt, compiled code) is part of the baseline.
      assert.equal(await authCode('printer', 'warm-up'), 535);
      await resetPeak(pid);
      const baseline = await memoryStatus(pid);

      const codes: number[][] = [];
      for (let round = 0; round < ROUNDS; round++) codes.push(await parallelRound(round));
      const end = await memoryStatus(pid);

      assert.equal(stack.ingress.child.exitCode, null, 'ingress is running');
      assert.equal(stack.ingress.child.signalCode, null, 'ingress was not killed');
      // Not a 454: every check was computed and failed, none ran into an error.
      assert.deepEqual(
        codes,
        Array.from({ length: ROUNDS }, () => Array.from({ length: PARALLEL }, () => 535)),
      );
      assert.ok(!stack.ingress.logs.some((line) => line.event === 'smtp.auth.error'));
      assert.equal(await authCode('printer', 'printer-pass'), 235, 'the right password works');

      const growth = end.peak - baseline.peak;
      t.diagnostic(
        `per check ${inMiB(perCheck)}; baseline ${inMiB(baseline.peak)} ` +
          `(resident ${inMiB(baseline.resident)}); peak ${inMiB(end.peak)}; ` +
          `growth ${inMiB(growth)}; resident after ${inMiB(end.resident)}`,
      );
      // At least one full check's table was resident after the reset: the AUTHs
      // did compute 64 MiB hashes, or the bound below would prove nothing.
      assert.ok(growth > perCheck * 0.75, `peak grew by ${inMiB(growth)}, under one check`);
      // Two hashing slots (README "Security") hold at most two 64 MiB scrypt tables
      // at once: 128 MiB over the baseline, plus slack from Node's and the C
      // allocator's bookkeeping, per-thread arenas and the connections' buffers,
      // which stays well under a third table. A third slot would allow 192 MiB;
      // PARALLEL slots (one hash per connection) would allow 768 MiB.
      assert.ok(
        growth < 3 * perCheck,
        `peak RSS grew by ${inMiB(growth)} over a baseline of ${inMiB(baseline.peak)}: ` +
          `more than 3 checks of ${inMiB(perCheck)} were resident at once`,
      );
    });
  },
);
