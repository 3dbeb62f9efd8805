import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  generateSelfSignedCertificate,
  getFreePort,
  redisCli,
  startRedisServer,
} from '@smtp-relay/testkit';
import { runNode, type NodeRunResult } from './harness/run-node.ts';
import { useTestRedis, type TestRedis } from './harness/test-redis.ts';

// What an operator sees when a relay cannot start: one line naming the
// variable to change, exit 1, no stack trace (README "When it does not start").

type Run = NodeRunResult;

// Never hangs the run: a process that does not exit is killed and fails below.
const run = (script: string, env: Record<string, string>): Promise<Run> =>
  runNode([script], env, '', 30_000);

function occupy(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      resolve(server);
    });
  });
}

function assertOneLine(result: Run, pattern: RegExp): void {
  const context = `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
  assert.equal(result.code, 1, context);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, context);
  assert.match(lines[0] ?? '', pattern, context);
  // No stack trace anywhere, and nothing logged as a crash.
  assert.doesNotMatch(result.stdout + result.stderr, /\n\s+at |process\.crashed/, context);
}

describe('a relay that cannot start says why in one line and exits 1', () => {
  let redis: TestRedis;
  let busy: Server;
  let busyPort: number;
  let dir: string;
  let base: Record<string, string>;

  before(async () => {
    redis = await useTestRedis();
    busyPort = await getFreePort();
    busy = await occupy(busyPort);
    dir = await mkdtemp(join(tmpdir(), 'startup-failures-'));
    base = {
      REDIS_URL: redis.url,
      QUEUE_PREFIX: `startup-${String(process.pid)}`,
      SMART_HOST: '127.0.0.1',
      SMART_HOST_PORT: '9',
      SMART_HOST_TLS: 'none',
      SMTP_HOST: '127.0.0.1',
      SMTP_HOSTNAME: 'relay.example.com',
      SMTP_RELAY_NETWORKS: '127.0.0.0/8',
      ADMIN_HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
    };
  });

  after(async () => {
    busy.close();
    await rm(dir, { recursive: true, force: true });
    await redis.cleanup();
  });

  it('SMTP_PORT in use (ingress)', async () => {
    const result = await run('services/ingress/src/main.ts', {
      ...base,
      SMTP_PORT: String(busyPort),
      ADMIN_PORT: '0',
    });
    assertOneLine(
      result,
      new RegExp(
        `^smtp-relay cannot start: SMTP_PORT=${String(busyPort)}: 127\\.0\\.0\\.1:${String(busyPort)} is already in use by another process; stop that process or set SMTP_PORT to a free port$`,
      ),
    );
  });

  it('ADMIN_PORT in use (sender): it takes no job before it exits', async () => {
    const result = await run('services/sender/src/main.ts', {
      ...base,
      ADMIN_PORT: String(busyPort),
    });
    assertOneLine(
      result,
      /^smtp-relay cannot start: ADMIN_PORT=\d+: .* set ADMIN_PORT to a free port$/,
    );
    assert.doesNotMatch(result.stdout, /sender\.started/);
  });

  // Each service checks the login at start; the all-in-one also for its second connection.
  for (const service of ['ingress', 'sender', 'all-in-one']) {
    it(`Redis refusing the password (${service})`, async () => {
      const guarded = await startRedisServer();
      try {
        await redisCli(guarded.port, [
          'ACL',
          'SETUSER',
          'relay',
          'on',
          '>right-password',
          '~*',
          '+@all',
        ]);
        const url = new URL(guarded.url);
        url.username = 'relay';
        url.password = 'wrong-password';
        const result = await run(`services/${service}/src/main.ts`, {
          ...base,
          REDIS_URL: url.toString(),
          SMTP_PORT: String(await getFreePort()),
          ADMIN_PORT: '0',
        });
        assertOneLine(
          result,
          /^smtp-relay cannot start: REDIS_URL: Redis refused the login \(WRONGPASS .*\); set the user and password Redis expects in REDIS_URL .* or REDIS_PASSWORD$/,
        );
        // The password is never printed.
        assert.doesNotMatch(result.stdout + result.stderr, /wrong-password|right-password/);
      } finally {
        await guarded.cleanup();
      }
    });
  }

  it('LOG_LEVEL=debug logs the stack as process.start_failed; stderr keeps its one line', async () => {
    const result = await run('services/ingress/src/main.ts', {
      ...base,
      LOG_LEVEL: 'debug',
      SMTP_PORT: String(busyPort),
      ADMIN_PORT: '0',
    });
    assertOneLine(result, /^smtp-relay cannot start: SMTP_PORT=\d+: .* is already in use/);
    const failed = result.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { event?: string; err?: { stack?: string } })
      .filter((entry) => entry.event === 'process.start_failed');
    assert.equal(failed.length, 1, result.stdout);
    assert.match(failed[0]?.err?.stack ?? '', /EADDRINUSE[\s\S]*\n\s+at /);
  });

  it('a certificate that does not load names TLS_CERT_FILE', async () => {
    // A real key, so that the certificate is the one problem.
    const real = await generateSelfSignedCertificate();
    try {
      const cert = join(dir, 'cert.pem');
      await writeFile(cert, 'not a certificate\n');
      const result = await run('services/ingress/src/main.ts', {
        ...base,
        SMTP_PORT: String(await getFreePort()),
        ADMIN_PORT: '0',
        TLS_CERT_FILE: cert,
        TLS_KEY_FILE: real.keyFile,
      });
      assertOneLine(
        result,
        /^smtp-relay cannot start: Invalid configuration: TLS_CERT_FILE: must hold a PEM certificate/,
      );
    } finally {
      await real.cleanup();
    }
  });

  it('an unreadable file names its variable', async () => {
    const result = await run('services/ingress/src/main.ts', {
      ...base,
      SMTP_PORT: String(await getFreePort()),
      ADMIN_PORT: '0',
      SMTP_AUTH_FILE: dir,
    });
    assertOneLine(
      result,
      /^smtp-relay cannot start: Invalid configuration: SMTP_AUTH_FILE: must be a readable file, but ".*" is not a regular file$/,
    );
  });

  it('npm run demo on a busy port exits 1 and never says "running"', async () => {
    const result = await run('scripts/demo.ts', {
      REDIS_URL: redis.url,
      QUEUE_PREFIX: `startup-demo-${String(process.pid)}`,
      SMTP_PORT: String(busyPort),
      ADMIN_PORT: String(await getFreePort()),
    });
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.doesNotMatch(result.stdout, /running/);
    assert.match(
      result.stderr,
      new RegExp(`^smtp-relay cannot start: SMTP_PORT=${String(busyPort)}: `, 'm'),
    );
  });
});
