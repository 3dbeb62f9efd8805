// `npm run demo`: the all-in-one relay with a local capture smart host and the
// queue dashboard, without Docker. Uses the Redis at REDIS_URL (default
// 127.0.0.1:6379), or starts a private redis-server when none answers.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pingRedis, startFakeSmartHost, startRedisServer, waitFor } from '@smtp-relay/testkit';

const smtpPort = process.env['SMTP_PORT'] ?? '2525';
const adminPort = process.env['ADMIN_PORT'] ?? '8080';
const adminToken = process.env['ADMIN_TOKEN'] ?? `demo-${randomBytes(12).toString('hex')}`;

let redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
let privateRedis: Awaited<ReturnType<typeof startRedisServer>> | undefined;
const { hostname, port } = new URL(redisUrl);
if (!(await pingRedis(Number(port || 6379), 1000, hostname))) {
  privateRedis = await startRedisServer({ appendOnly: true });
  redisUrl = privateRedis.url;
}

const captureDir = await mkdtemp(join(tmpdir(), 'smtp-relay-demo-'));
let captured = 0;
const smartHost = await startFakeSmartHost({
  tls: 'none',
  name: 'demo-smart-host.localhost',
  script: {
    data: (message) => {
      captured++;
      const file = join(captureDir, `${String(captured).padStart(4, '0')}-${message.queueId}.eml`);
      // Written before the line that names it (and before the 250): whoever reads
      // the file as soon as the line appears finds it complete.
      writeFileSync(file, message.data);
      const subject =
        /^Subject: (.*)$/im.exec(message.data.toString('utf8'))?.[1] ?? '(no subject)';
      console.log(
        `captured: <${message.mailFrom}> -> ${message.rcptTo.join(', ')}  "${subject}"  saved as ${file}`,
      );
      return undefined;
    },
  },
});

const relay = spawn(process.execPath, ['services/all-in-one/src/main.ts'], {
  // The IPC channel tells when this relay listens: another process may answer
  // on the same ports (a second demo), and its readiness is not ours.
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  env: {
    ...process.env,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: process.env['QUEUE_PREFIX'] ?? 'smtp-relay-demo',
    LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn',
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: smtpPort,
    SMTP_HOSTNAME: process.env['SMTP_HOSTNAME'] ?? 'relay.localhost',
    // Only this machine may relay, without a password: a demo, not an open relay.
    SMTP_RELAY_NETWORKS: '127.0.0.0/8,::1/128',
    SMART_HOST: '127.0.0.1',
    SMART_HOST_PORT: String(smartHost.port),
    SMART_HOST_TLS: 'none',
    ADMIN_HOST: '127.0.0.1',
    ADMIN_PORT: adminPort,
    ADMIN_TOKEN: adminToken,
  },
});
const stop = (): void => {
  relay.kill('SIGTERM');
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
relay.on('exit', (code) => {
  void (async () => {
    await smartHost.close();
    await privateRedis?.cleanup();
    process.exit(code ?? 0);
  })();
});

const listening = new Promise<boolean>((resolve) => {
  relay.on('message', (message: { event?: string }) => {
    if (message.event === 'relay.listening') resolve(true);
  });
  relay.once('exit', () => {
    resolve(false);
  });
});
// A relay that cannot start has said why in one line and exits: the exit
// handler above ends the demo with its code, without a "running" banner.
if (await listening) {
  await waitFor(
    async () =>
      (await fetch(`http://127.0.0.1:${adminPort}/readyz`).catch(() => undefined))?.status === 200,
    { timeoutMs: 20_000, description: 'the relay to be ready' },
  );
  console.log(`
smtp-relay demo is running (Ctrl-C stops it).

  SMTP ingress   127.0.0.1:${smtpPort}   relaying allowed from this machine without a password
  Dashboard      http://127.0.0.1:${adminPort}/ui   (any user name, password: ${adminToken})
  Smart host     a local capture server; messages it receives are printed here
                 and saved in ${captureDir}
  Redis          ${privateRedis ? `a private redis-server at ${redisUrl}` : redisUrl}

Send a first message from another terminal:

  npx smtp-relay send-test --port ${smtpPort} --to you@example.com
`);
}
