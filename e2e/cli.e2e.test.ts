import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseCredentials, verifyPassword } from '@smtp-relay/policy';
import { holdKeys } from '@smtp-relay/queue';
import { historyKeys } from '@smtp-relay/store';
import { Redis } from 'ioredis';
import { waitFor } from '@smtp-relay/testkit';
import { runCli, runNode, type NodeRunResult } from './harness/run-node.ts';
import { startLanRelay, type LanRelay } from './harness/lan-relay.ts';
import type { RelayStack } from './harness/relay-stack.ts';

// `npx smtp-relay ...` and the services' start-up checks, as real processes.

const cli = (
  args: readonly string[],
  env: Record<string, string> = {},
  input = '',
): Promise<NodeRunResult> => runCli(args, env, input);

describe('the smtp-relay command line', () => {
  let relay: LanRelay;
  let stack: RelayStack;

  before(async () => {
    relay = await startLanRelay({
      variables: { RETRY_DELAYS: '1h' },
    });
    ({ stack } = relay);
  });

  after(async () => {
    await relay.close();
  });

  for (const algorithm of ['argon2id', 'bcrypt', 'scrypt']) {
    it(`passwd prints a credentials line with a ${algorithm} hash that verifies`, async () => {
      const result = await cli(
        ['passwd', 'printer', '--algorithm', algorithm],
        {},
        'correct horse\n',
      );
      assert.equal(result.code, 0, result.stderr);
      const parsed = parseCredentials(result.stdout);
      assert.deepEqual(parsed.problems, []);
      const secret = parsed.users.get('printer');
      assert.ok(secret && secret.kind !== 'plain');
      assert.equal(await verifyPassword(secret, 'correct horse'), true);
      assert.equal(await verifyPassword(secret, 'wrong'), false);
    });
  }

  it('config prints the effective configuration with secrets redacted', async () => {
    const result = await cli(['config', 'sender'], {
      SMART_HOST: 'smtp.example.com',
      SMART_HOST_USER: 'relay',
      SMART_HOST_PASSWORD: 'very-secret-password',
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^SMART_HOST=smtp\.example\.com$/m);
    assert.match(result.stdout, /^SMART_HOST_PASSWORD=<redacted>$/m);
    assert.doesNotMatch(result.stdout + result.stderr, /very-secret-password/);
  });

  it('config --json prints the smart host of a provider preset, secrets redacted', async () => {
    const result = await cli(['config', 'sender', '--json'], {
      SMART_HOST_PROVIDER: 'm365',
      SMART_HOST_USER: 'relay@example.com',
      SMART_HOST_PASSWORD: 'very-secret-password',
    });
    assert.equal(result.code, 0, result.stderr);
    const config = JSON.parse(result.stdout) as { smartHost: Record<string, unknown> };
    const { host, port, tls, provider, authMethods, password } = config.smartHost;
    assert.deepEqual(
      { host, port, tls, provider, authMethods, password },
      {
        host: 'smtp.office365.com',
        port: 587,
        tls: 'starttls',
        provider: 'm365',
        authMethods: null,
        password: '<redacted>',
      },
    );
    assert.doesNotMatch(result.stdout + result.stderr, /very-secret-password/);
  });

  it('config exits 1 listing every problem', async () => {
    const result = await cli(['config'], { SMTP_PORT: 'abc', RETRY_DELAYS: '1 fortnight' });
    assert.equal(result.code, 1);
    for (const variable of ['SMTP_PORT', 'RETRY_DELAYS', 'SMART_HOST'])
      assert.match(result.stderr, new RegExp(variable));
  });

  for (const service of ['ingress', 'sender', 'all-in-one']) {
    it(`${service} exits non-zero within 2 s naming each invalid variable`, async () => {
      const result = await runNode([`services/${service}/src/main.ts`], {
        SMTP_MAX_MESSAGE_SIZE: 'huge',
        SMART_HOST_PORT: '99999',
        LOG_LEVEL: 'chatty',
      });
      assert.notEqual(result.code, 0);
      assert.ok(result.elapsedMs < 2000, `exited after ${String(result.elapsedMs)} ms`);
      assert.match(result.stderr, /LOG_LEVEL/);
      if (service !== 'sender') assert.match(result.stderr, /SMTP_MAX_MESSAGE_SIZE/);
      if (service !== 'ingress') assert.match(result.stderr, /SMART_HOST_PORT/);
      if (service !== 'ingress') assert.match(result.stderr, /SMART_HOST: required/);
    });
  }

  it('send-test submits a message that the relay delivers, and queue shows and acts on the queue', async () => {
    const sent = await cli([
      'send-test',
      '--port',
      String(stack.smtpPort),
      '--to',
      'tempfail-cli@example.test',
      '--tls',
      'none',
    ]);
    assert.equal(sent.code, 0, sent.stderr);
    const id = /queued as (\S+)/.exec(sent.stdout)?.[1];
    assert.ok(id, sent.stdout);
    await stack.sender.waitForLog((l) => l.event === 'delivery.deferred' && l['messageId'] === id);

    const env = { REDIS_URL: relay.redisUrl, QUEUE_PREFIX: stack.prefix };
    const counts = await cli(['queue', 'counts'], env);
    assert.equal(counts.code, 0, counts.stderr);
    assert.match(counts.stdout, /^delayed +1$/m);
    const listed = await cli(['queue', 'list', 'delayed'], env);
    assert.match(
      listed.stdout,
      new RegExp(
        `^${id} .*<smtp-relay-test@localhost> -> tempfail-cli@example\\.test +attempts 1 next `,
        'm',
      ),
    );
    assert.match(listed.stdout, /451 4\.7\.1/);
    const deleted = await cli(['queue', 'delete', id], env);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal((await cli(['queue', 'show', id], env)).code, 1);
    const nothing = await cli(['queue', 'resume'], env);
    assert.equal(nothing.code, 0, nothing.stderr);
    assert.equal(nothing.stdout, 'no hold to end\n');
    // A route's hold as a sender with SMART_HOST_ROUTES_FILE keeps it (this
    // relay has no routes: the key holds nothing here).
    const redis = new Redis(relay.redisUrl);
    try {
      await redis.set(holdKeys(stack.prefix, 'sales').until, '1', 'PX', 60_000);
    } finally {
      redis.disconnect();
    }
    const resumed = await cli(['queue', 'resume'], env);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(
      resumed.stdout,
      'deliveries resumed (route sales: 0 messages back in the queue)\n',
    );
  });

  it('queue search finds a delivered message in the history, with the smart host’s id', async () => {
    const sent = await cli([
      'send-test',
      '--port',
      String(stack.smtpPort),
      '--to',
      'history-cli@example.test',
      '--tls',
      'none',
    ]);
    assert.equal(sent.code, 0, sent.stderr);
    const id = /queued as (\S+)/.exec(sent.stdout)?.[1];
    assert.ok(id, sent.stdout);
    await stack.sender.waitForLog((l) => l.event === 'delivery.delivered' && l['messageId'] === id);
    const env = { REDIS_URL: relay.redisUrl, QUEUE_PREFIX: stack.prefix };
    // Written as the job completes, just after the delivered line: one CLI run once it is there.
    const redis = new Redis(relay.redisUrl);
    try {
      await waitFor(
        async () => (await redis.hexists(historyKeys(stack.prefix).records, id)) === 1,
        {
          description: 'the history has it',
        },
      );
    } finally {
      redis.disconnect();
    }
    const found = await cli(['queue', 'search', 'HISTORY-CLI@', '--since', '1h'], env);
    assert.equal(found.code, 0, found.stderr);
    assert.match(
      found.stdout,
      new RegExp(`^${id}  \\S+  <smtp-relay-test@localhost> -> history-cli@example\\.test$`, 'm'),
    );
    assert.match(found.stdout, /^ {4}250 2\.0\.0 Ok: queued as (\S+) {2}\(smart host id \1\)$/m);
    assert.match(found.stdout, /^1 found of \d+ delivered$/m);
    const json = JSON.parse((await cli(['queue', 'search', id, '--json'], env)).stdout) as {
      messages: { id: string }[];
    };
    assert.deepEqual(
      json.messages.map((m) => m.id),
      [id],
    );
    const none = await cli(['queue', 'search', 'history-cli@', '--until', '2020-01-01'], env);
    assert.match(none.stdout, /^0 found of 0 delivered$/m);
    const bad = await cli(['queue', 'search', 'x', '--since', 'yesterday'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^since must be an ISO 8601 time/);
    const listed = JSON.parse(
      (await cli(['queue', 'list', 'completed', '--json'], env)).stdout,
    ) as { history: boolean; messages: { id: string }[] };
    assert.equal(listed.history, true);
    assert.ok(listed.messages.some((m) => m.id === id));
    // A relay that keeps no history says so, rather than finding nothing.
    const off = await cli(['queue', 'search', id], { ...env, HISTORY_RETENTION: '0' });
    assert.equal(off.code, 1);
    assert.equal(off.stdout, '');
    assert.match(off.stderr, /^the message history is off \(HISTORY_RETENTION=0\)/);
    // Its delivered list is the finished jobs the queue holds, this one among them.
    const queued = JSON.parse(
      (await cli(['queue', 'list', 'completed', '--json'], { ...env, HISTORY_RETENTION: '0' }))
        .stdout,
    ) as { history: boolean; messages: { id: string }[] };
    assert.equal(queued.history, false);
    assert.ok(queued.messages.some((m) => m.id === id));
  });

  it('send-test never falls back to plain text silently', async () => {
    // This ingress has no certificate: it offers no STARTTLS.
    const port = String(stack.smtpPort);
    const plain = /offers no STARTTLS, so the message goes in plain text/;
    const auto = await cli(['send-test', '--port', port, '--to', 'auto@example.test']);
    assert.equal(auto.code, 0, auto.stderr);
    assert.match(auto.stdout, /queued as /);
    assert.match(auto.stderr, new RegExp(`^warning: 127\\.0\\.0\\.1:${port} ${plain.source}`, 'm'));
    const none = await cli([
      'send-test',
      '--port',
      port,
      '--to',
      'none@example.test',
      '--tls',
      'none',
    ]);
    assert.equal(none.code, 0, none.stderr);
    assert.doesNotMatch(none.stderr, plain);
    const required = await cli(['send-test', '--port', port, '--tls', 'starttls']);
    assert.equal(required.code, 1);
    assert.match(required.stderr, /refused the message/);
    assert.doesNotMatch(required.stdout, /queued as/);
    const password = await cli(['send-test', '--port', port, '--user', 'printer'], {
      SEND_TEST_PASSWORD: 'printer-pass',
    });
    assert.equal(password.code, 1);
    assert.match(
      password.stderr,
      /offers no STARTTLS: not sending the password of printer in plain text \(--tls none sends it anyway\)/,
    );
  });
});
