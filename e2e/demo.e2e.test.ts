import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { getFreePort, waitFor } from '@smtp-relay/testkit';
import { REPOSITORY_ROOT } from './harness/compose-services.ts';
import { NODE_PROCESS_ENV } from './harness/node-env.ts';
import { useTestRedis, type TestRedis } from './harness/test-redis.ts';

// `npm run demo` and the first message it tells a new user to send.

describe('npm run demo', () => {
  let redis: TestRedis;
  let output = '';
  let stop: (() => void) | undefined;
  let exited: Promise<number | null>;
  let smtpPort: number;
  let adminPort: number;

  before(async () => {
    redis = await useTestRedis();
    smtpPort = await getFreePort();
    adminPort = await getFreePort();
    const child = spawn(process.execPath, ['scripts/demo.ts'], {
      cwd: REPOSITORY_ROOT,
      env: {
        ...NODE_PROCESS_ENV,
        REDIS_URL: redis.url,
        QUEUE_PREFIX: `demo-${randomBytes(4).toString('hex')}`,
        SMTP_PORT: String(smtpPort),
        ADMIN_PORT: String(adminPort),
      },
    });
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    exited = new Promise((resolve) => child.on('exit', resolve));
    stop = () => child.kill('SIGTERM');
    await waitFor(() => output.includes('smtp-relay demo is running'), {
      timeoutMs: 30_000,
      description: `the demo banner (output so far: ${output})`,
    });
  });

  after(async () => {
    // A failed test must not leave the demo running: its pipes would keep this
    // test file (and the whole run) from ever ending.
    stop?.();
    await exited;
    await redis.cleanup();
  });

  it('prints how to send a first message; the message reaches the capture smart host and the dashboard', async () => {
    const command = /npx smtp-relay send-test --port (\d+) --to (\S+)/.exec(output);
    assert.ok(command, output);
    assert.equal(command[1], String(smtpPort));
    const token = /password: (\S+)\)/.exec(output)?.[1];
    assert.ok(token);

    const sent = await new Promise<{ code: number | null; text: string }>((resolve) => {
      const cli = spawn(
        process.execPath,
        [
          'services/cli/src/main.ts',
          'send-test',
          '--port',
          String(smtpPort),
          '--to',
          command[2] ?? '',
        ],
        { cwd: REPOSITORY_ROOT, env: NODE_PROCESS_ENV },
      );
      let text = '';
      cli.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
      cli.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
      cli.on('exit', (code) => {
        resolve({ code, text });
      });
    });
    assert.equal(sent.code, 0, sent.text);
    assert.match(sent.text, /250 2\.0\.0 Ok: queued as/);

    const captured = await waitFor(() => /^captured: .* saved as (\S+)$/m.exec(output), {
      timeoutMs: 15_000,
      description: 'the capture line',
    });
    const eml = await readFile(captured[1] ?? '', 'utf8');
    assert.match(eml, /^Received: from send-test\.smtp-relay/);
    assert.match(eml, /Subject: smtp-relay test message/);

    const dashboard = await fetch(`http://127.0.0.1:${String(adminPort)}/api/v1/counts`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(dashboard.status, 200);
    assert.equal(((await dashboard.json()) as { completed: number }).completed >= 1, true);

    stop?.();
    assert.equal(await exited, 0);
  });
});
