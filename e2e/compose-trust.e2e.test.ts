import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { readDefaultGateway } from '@smtp-relay/config';
import {
  getFreePort,
  smtpConversation,
  startRedisServer,
  type RedisServerHandle,
} from '@smtp-relay/testkit';
import { readComposeService } from './harness/compose-services.ts';
import { runCli } from './harness/run-node.ts';
import { startRelayProcess, type LogLine, type RelayProcess } from './harness/relay-process.ts';
import { startRelayStack, type RelayStack } from './harness/relay-stack.ts';
import { useTestRedis, type TestRedis } from './harness/test-redis.ts';

// Issue 8, "Compose": out of the box trust must not survive publishing SMTP beyond this
// machine (docs/adr/001). Each experiment runs ingress with the command and environment
// docker-compose.yml gives its container, with `variables` as a user's `.env`. Clients
// Docker forwards come from its bridge gateway, which a local process cannot be: the
// trust itself is read from the start-up log (`relayNetworks` of smtp.listening) and from
// `npx smtp-relay config`; `npm run test:containers` relays from a real bridge address.

const BRIDGES = ['172.16.0.0/12', '10.89.0.0/16'];
const KEYWORD_IGNORED = /^SMTP_RELAY_NETWORKS: container-bridges trusts nothing here/;

const listening = (line: LogLine) => line.event === 'smtp.listening';
const configWarnings = (ingress: RelayProcess): string[] =>
  ingress.logs.filter((l) => l.event === 'config.warning').map((l) => l.msg ?? '');

/** The RCPT reply a client from 127.0.0.1 gets without AUTH. */
async function rcptReply(port: number): Promise<number> {
  const session = await smtpConversation({ port });
  try {
    await session.send('EHLO outsider.test');
    assert.equal((await session.send('MAIL FROM:<a@outsider.test>')).code, 250);
    return (await session.send('RCPT TO:<victim@example.com>')).code;
  } finally {
    await session.close();
  }
}

describe('compose trust: SMTP_RELAY_NETWORKS=container-bridges follows SMTP_PUBLISH', () => {
  let redis: TestRedis;
  const stacks: RelayStack[] = [];

  const startIngress = async (variables: Record<string, string>) => {
    const stack = await startRelayStack({
      redisUrl: redis.url,
      smartHost: { port: 9, tls: 'none' },
      withoutSender: true,
      variables,
    });
    stacks.push(stack);
    return { stack, started: await stack.ingress.waitForLog(listening) };
  };

  before(async () => {
    redis = await useTestRedis();
  });

  after(async () => {
    const codes = await Promise.all(stacks.map((stack) => stack.stop()));
    await redis.cleanup();
    assert.deepEqual(
      codes.flat(),
      stacks.map(() => 0),
    );
  });

  it('out of the box (published on 127.0.0.1) it trusts the bridge ranges, and 127.0.0.1 inside the container not', async () => {
    assert.equal(
      readComposeService('ingress').environment['SMTP_RELAY_NETWORKS'],
      'container-bridges',
    );
    const { stack, started } = await startIngress({});
    assert.deepEqual(started['relayNetworks'], BRIDGES);
    assert.deepEqual(
      configWarnings(stack.ingress).filter((w) => KEYWORD_IGNORED.test(w)),
      [],
    );
    assert.equal(await rcptReply(stack.smtpPort), 554);

    // `docker compose exec ingress npx smtp-relay config ingress` shows the same
    const env = { ...readComposeService('ingress').environment, REDIS_PASSWORD_FILE: '' };
    const shown = await runCli(['config', 'ingress'], env);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`^SMTP_RELAY_NETWORKS=${BRIDGES.join(',')}$`, 'm'));
    assert.match(shown.stdout, /^SMTP_PUBLISHED_ON=127\.0\.0\.1:2525$/m);
  });

  it('published to the LAN (SMTP_PUBLISH=0.0.0.0:2525) it trusts nothing and says so', async () => {
    const { stack, started } = await startIngress({ SMTP_PUBLISH: '0.0.0.0:2525' });
    assert.deepEqual(started['relayNetworks'], []);
    const warnings = configWarnings(stack.ingress);
    assert.ok(
      warnings.some((w) => KEYWORD_IGNORED.test(w) && w.includes('SMTP_PUBLISHED_ON=0.0.0.0:2525')),
      warnings.join('\n'),
    );
    assert.ok(
      warnings.some((w) => w.includes('no client can relay')),
      warnings.join('\n'),
    );
    assert.equal(await rcptReply(stack.smtpPort), 554);
  });

  it('SMTP_RELAY_NETWORKS= (empty in .env) trusts nobody: empty is not "unset"', async () => {
    const variables = { SMTP_RELAY_NETWORKS: '' };
    assert.equal(readComposeService('ingress', variables).environment['SMTP_RELAY_NETWORKS'], '');
    const { stack, started } = await startIngress(variables);
    assert.deepEqual(started['relayNetworks'], []);
    assert.equal(await rcptReply(stack.smtpPort), 554);
  });

  it("the documented LAN set-up keeps working: SMTP_PUBLISH=2525 with the devices' network", async () => {
    // 127.0.0.0/8 stands for the devices' LAN (e.g. 192.168.10.0/24)
    const { stack, started } = await startIngress({
      SMTP_PUBLISH: '2525',
      SMTP_RELAY_NETWORKS: '127.0.0.0/8',
    });
    assert.deepEqual(started['relayNetworks'], ['127.0.0.0/8']);
    assert.deepEqual(configWarnings(stack.ingress), []);
    assert.equal(await rcptReply(stack.smtpPort), 250);
  });

  for (const networks of [
    '172.16.0.0/12,10.89.0.0/16',
    '10.0.0.0/8,172.16.0.0/12,192.168.0.0/16',
  ]) {
    it(`refuses to start with ${networks} while SMTP is published to the LAN`, async () => {
      // e.g. the old compose default kept in a .env, or "all private ranges"
      const ingress = await startRelayProcess({
        service: 'ingress',
        variables: { SMTP_PUBLISH: '2525', SMTP_RELAY_NETWORKS: networks },
        overrides: { REDIS_URL: redis.url, SMTP_PORT: String(await getFreePort()) },
        waitReady: false,
      });
      const started = Date.now();
      const code = await ingress.exited;
      assert.notEqual(code, 0);
      assert.ok(Date.now() - started < 2000);
      // this problem only, in one line
      const problems = ingress.output.filter((line) =>
        line.startsWith('smtp-relay cannot start: Invalid configuration'),
      );
      assert.equal(problems.length, 1, ingress.output.join('\n'));
      assert.match(
        problems[0] ?? '',
        /^smtp-relay cannot start: Invalid configuration: SMTP_RELAY_NETWORKS: trusting .* trusts the container bridge ranges \(172\.16\.0\.0\/12, 10\.89\.0\.0\/16\), and SMTP is published beyond this machine \(SMTP_PUBLISHED_ON=2525, from SMTP_PUBLISH\)/,
      );
    });
  }

  // In a container the default gateway is the bridge's, whose address Docker's proxy gives
  // every client it forwards. A local process reads its own routing table the same way.
  const gateway = readDefaultGateway();
  it(
    "refuses to start with this machine's default gateway trusted while SMTP is published to the LAN",
    { skip: gateway === undefined && 'no /proc/net/route with a default route here' },
    async () => {
      const ingress = await startRelayProcess({
        service: 'ingress',
        variables: { SMTP_PUBLISH: '2525', SMTP_RELAY_NETWORKS: gateway ?? '' },
        overrides: { REDIS_URL: redis.url, SMTP_PORT: String(await getFreePort()) },
        waitReady: false,
      });
      assert.notEqual(await ingress.exited, 0);
      const problems = ingress.output.filter((line) =>
        line.startsWith('smtp-relay cannot start: Invalid configuration'),
      );
      assert.equal(problems.length, 1, ingress.output.join('\n'));
      assert.ok(
        problems[0]?.startsWith(
          `smtp-relay cannot start: Invalid configuration: SMTP_RELAY_NETWORKS: trusting ${gateway ?? ''}/32 trusts ${gateway ?? ''}, this container's default gateway, and SMTP is published beyond this machine (SMTP_PUBLISHED_ON=2525, from SMTP_PUBLISH)`,
        ),
        problems[0],
      );
    },
  );
});

describe('compose Redis password: REDIS_PASSWORD_FILE, as the secret on the redis-auth volume', () => {
  let server: RedisServerHandle;
  let dir: string;
  let passwordFile: string;
  let stack: RelayStack;
  const password = 'e3b0c44298fc1c149afbf4c8996fb924';

  before(async () => {
    server = await startRedisServer();
    const admin = new Redis(server.url);
    await admin.config('SET', 'requirepass', password);
    admin.disconnect();
    dir = await mkdtemp(join(tmpdir(), 'compose-redis-auth-'));
    passwordFile = join(dir, 'password');
    await writeFile(passwordFile, `${password}\n`, { mode: 0o444 });
    stack = await startRelayStack({
      redisUrl: server.url,
      smartHost: { port: 9, tls: 'none' },
      withoutSender: true,
      variables: { SMTP_RELAY_NETWORKS: '127.0.0.0/8' },
      // relay-process clears the compose file's path; give the test's secret instead
      ingressOverrides: { REDIS_PASSWORD_FILE: passwordFile },
    });
  });

  after(async () => {
    const codes = await stack.stop();
    await server.cleanup();
    await rm(dir, { recursive: true, force: true });
    assert.deepEqual(codes, [0]);
  });

  it('ingress stores mail in a Redis that requires the password', async () => {
    const session = await smtpConversation({ port: stack.smtpPort });
    await session.send('EHLO printer.test');
    await session.send('MAIL FROM:<scan@example.test>');
    assert.equal((await session.send('RCPT TO:<you@example.test>')).code, 250);
    assert.equal((await session.send('DATA')).code, 354);
    const queued = await session.send('Subject: auth\r\n\r\nhello\r\n.');
    assert.equal(queued.code, 250, queued.text);
    await session.close();
  });

  it('`queue counts` reads the password file as the services do', async () => {
    const counted = await runCli(['queue', 'counts'], {
      REDIS_URL: server.url,
      QUEUE_PREFIX: stack.prefix,
      REDIS_PASSWORD_FILE: passwordFile,
    });
    assert.equal(counted.code, 0, counted.stderr);
    assert.match(counted.stdout, /^waiting +1$/m);
  });
});
