import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { getFreePort, startFakeSmartHost, waitFor, type FakeSmartHost } from '@smtp-relay/testkit';
import { REPOSITORY_ROOT } from './harness/compose-services.ts';
import { NODE_PROCESS_ENV } from './harness/node-env.ts';
import { sendThroughRelay } from './harness/send-through.ts';
import { useTestRedis, type TestRedis } from './harness/test-redis.ts';

// `npm start`: ingress, sender and admin HTTP in one process.

describe('all-in-one process (npm start)', () => {
  let redis: TestRedis;
  let smartHost: FakeSmartHost;
  let smtpPort: number;
  let adminPort: number;
  let exited: Promise<number | null>;
  let stop: () => void;

  before(async () => {
    redis = await useTestRedis();
    smartHost = await startFakeSmartHost({ tls: 'none' });
    smtpPort = await getFreePort();
    adminPort = await getFreePort();
    const child = spawn(process.execPath, ['services/all-in-one/src/main.ts'], {
      cwd: REPOSITORY_ROOT,
      stdio: 'ignore',
      env: {
        ...NODE_PROCESS_ENV,
        REDIS_URL: redis.url,
        QUEUE_PREFIX: `aio-${randomBytes(4).toString('hex')}`,
        SMTP_HOST: '127.0.0.1',
        SMTP_PORT: String(smtpPort),
        SMTP_HOSTNAME: 'relay.test',
        SMTP_RELAY_NETWORKS: '127.0.0.1/32',
        ADMIN_HOST: '127.0.0.1',
        ADMIN_PORT: String(adminPort),
        SMART_HOST: '127.0.0.1',
        SMART_HOST_PORT: String(smartHost.port),
        SMART_HOST_TLS: 'none',
      },
    });
    exited = new Promise((resolve) => child.on('exit', resolve));
    stop = () => child.kill('SIGTERM');
    await waitFor(
      async () =>
        (await fetch(`http://127.0.0.1:${String(adminPort)}/readyz`).catch(() => undefined))
          ?.status === 200,
      { timeoutMs: 20_000, description: 'all-in-one ready' },
    );
  });

  after(async () => {
    await smartHost.close();
    await redis.cleanup();
  });

  it('relays a message end to end and stops with exit code 0 on SIGTERM', async () => {
    await sendThroughRelay(smtpPort, { subject: 'one process' });
    const [message] = await smartHost.waitForMessages(1);
    assert.ok(message);
    assert.match(message.data.toString('latin1'), /Subject: one process/);
    const ready = (await (await fetch(`http://127.0.0.1:${String(adminPort)}/readyz`)).json()) as {
      checks: object;
    };
    assert.deepEqual(ready.checks, { redis: 'ok', smtp: 'ok' });
    stop();
    assert.equal(await exited, 0);
  });
});
