import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  generateCertificates,
  startFakePop3Server,
  startFakeSmartHost,
  type FakePop3Server,
  type FakePop3ServerOptions,
  type FakeSmartHost,
  type GeneratedCertificates,
} from '@smtp-relay/testkit';
import { readQueueState } from './harness/queue-state.ts';
import { startRelayProcess, type RelayProcess } from './harness/relay-process.ts';
import { startRelayStack, type RelayStack } from './harness/relay-stack.ts';
import { sendThroughRelay } from './harness/send-through.ts';
import { useTestRedis, type TestRedis } from './harness/test-redis.ts';

// docs/reference.md "POP3 before SMTP" (Mercury's "authenticate via prior POP3
// connection"): a real sender process, a real POP3 server and a smart host that
// refuses MAIL (550, a bounce were it let through) from an address without a
// recent POP3 login. Logins at most once per interval; a refused login holds
// the mail, never bounces it, and delivery resumes by itself once it works.

const USER = 'relay';
const PASSWORD = 'pop-password-2718';

interface Pop3World {
  readonly pop3: FakePop3Server;
  readonly smartHost: FakeSmartHost;
  readonly stack: RelayStack;
  readonly sender: RelayProcess;
}

describe('POP3 before SMTP', () => {
  let redis: TestRedis;
  let certs: GeneratedCertificates;
  const cleanups: (() => Promise<void>)[] = [];

  before(async () => {
    redis = await useTestRedis();
    certs = await generateCertificates();
  });

  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await certs.cleanup();
    await redis.cleanup();
  });

  async function relayWith(options: {
    readonly pop3Tls: FakePop3ServerOptions['tls'];
    /** What the POP3 server accepts for USER (the sender sends PASSWORD). */
    readonly acceptedPassword?: string;
    /** SMART_HOST_POP3_* beside HOST and PORT. */
    readonly pop3Variables?: Readonly<Record<string, string>>;
    readonly withinMs?: number;
    readonly variables?: Readonly<Record<string, string>>;
  }): Promise<Pop3World> {
    const certificate = { key: certs.key, cert: certs.cert };
    const pop3 = await startFakePop3Server({
      tls: options.pop3Tls,
      certificate,
      users: { [USER]: options.acceptedPassword ?? PASSWORD },
    });
    const smartHost = await startFakeSmartHost({
      tls: 'starttls',
      certificate,
      requirePop3Login: { server: pop3, withinMs: options.withinMs ?? 300_000 },
    });
    const variables = {
      SMTP_RELAY_NETWORKS: '127.0.0.0/8',
      RETRY_DELAYS: '400ms',
      SMART_HOST: '127.0.0.1',
      SMART_HOST_PORT: String(smartHost.port),
      SMART_HOST_TLS: 'starttls',
      SMART_HOST_CA_FILE: certs.caFile,
      SMART_HOST_USER: USER,
      SMART_HOST_PASSWORD: PASSWORD,
      ...options.variables,
    };
    const stack = await startRelayStack({
      redisUrl: redis.url,
      smartHost: { port: smartHost.port, tls: 'starttls' },
      variables,
      withoutSender: true,
    });
    // docker-compose.yml does not pass SMART_HOST_POP3_* to the sender: they are
    // set in the process environment, beside what the stack gives every process.
    const sender = await startRelayProcess({
      service: 'sender',
      variables,
      overrides: {
        REDIS_URL: redis.url,
        QUEUE_PREFIX: stack.prefix,
        SMTP_HOSTNAME: 'relay.test',
        LOG_LEVEL: 'debug',
        SMART_HOST_POP3_HOST: '127.0.0.1',
        SMART_HOST_POP3_PORT: String(pop3.port),
        ...options.pop3Variables,
      },
    });
    cleanups.push(async () => {
      const codes = [await sender.stop(), ...(await stack.stop())];
      assert.ok(
        codes.every((code) => code === 0),
        `exit codes ${codes.join(',')}`,
      );
      await smartHost.close();
      await pop3.close();
    });
    return { pop3, smartHost, stack, sender };
  }

  function events(sender: RelayProcess, event: string) {
    return sender.logs.filter((line) => line.event === event);
  }

  it('delivers after one POP3 login (implicit TLS by default) for messages sent together, without SMTP AUTH', async () => {
    const { pop3, smartHost, stack, sender } = await relayWith({
      pop3Tls: 'implicit',
      variables: { SENDER_CONCURRENCY: '4' },
    });
    smartHost.setSlow(100);
    await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        sendThroughRelay(stack.smtpPort, { subject: `m${String(index)}` }),
      ),
    );
    await smartHost.waitForMessages(8, 30_000);
    assert.equal(pop3.logins.length, 1, pop3.describe());
    assert.equal(pop3.logins[0]?.secure, true);
    assert.ok(!smartHost.events.some((e) => e.type === 'auth'), 'no AUTH at the smart host');
    assert.equal(events(sender, 'pop3.login').length, 1);
    assert.equal(events(sender, 'delivery.bounced').length, 0);
    const started = await sender.waitForLog((line) => line.event === 'sender.started');
    assert.equal(started['pop3'], `127.0.0.1:${String(pop3.port)}`);
  });

  it('logs in again once SMART_HOST_POP3_INTERVAL has passed, never more than once per interval (STLS)', async () => {
    const intervalMs = 1000;
    const { pop3, smartHost, stack } = await relayWith({
      pop3Tls: 'starttls',
      pop3Variables: { SMART_HOST_POP3_TLS: 'starttls', SMART_HOST_POP3_INTERVAL: '1s' },
      withinMs: 30_000,
    });
    // One message after the other until the sender has had to log in a second time.
    let sent = 0;
    const deadline = Date.now() + 30_000;
    while (pop3.logins.length < 2) {
      assert.ok(Date.now() < deadline, `no second login after ${String(sent)} messages`);
      await sendThroughRelay(stack.smtpPort, { subject: `m${String(sent)}` });
      sent++;
      await smartHost.waitForMessages(sent, 15_000);
    }
    assert.ok(sent > 1, 'the first login served more than one message');
    const times = pop3.logins.map((login) => login.at.getTime());
    for (let i = 1; i < times.length; i++) {
      const gap = (times[i] ?? 0) - (times[i - 1] ?? 0);
      assert.ok(gap >= intervalMs, `logins ${String(gap)} ms apart`);
    }
    assert.ok(pop3.logins.every((login) => login.secure));
    assert.ok(!pop3.commands.some((c) => c.line.startsWith('PASS') && !c.secure));
  });

  it('holds the mail when the POP3 login is refused (never bounced), says why, and resumes once it works', async () => {
    const { pop3, smartHost, stack, sender } = await relayWith({
      pop3Tls: 'starttls',
      acceptedPassword: 'changed-at-the-isp',
      pop3Variables: { SMART_HOST_POP3_TLS: 'starttls' },
    });
    const id = await sendThroughRelay(stack.smtpPort);
    const held = await sender.waitForLog(
      (line) => line.event === 'delivery.systemic' && line['messageId'] === id,
    );
    assert.equal(held.level, 'error');
    assert.equal(held['category'], 'pop3');
    assert.equal(held['rule'], 'POP3 server refused our login');
    assert.match(String(held['hint']), /SMART_HOST_USER and SMART_HOST_PASSWORD/);
    assert.equal(held['reply'], '451 4.7.0 No POP3 login before SMTP');
    const failed = await sender.waitForLog((line) => line.event === 'pop3.failed');
    assert.equal(failed['command'], 'PASS');
    assert.equal(failed['reply'], '-ERR [AUTH] Authentication failed.');
    const metrics = await (
      await fetch(`http://127.0.0.1:${String(sender.adminPort)}/metrics`)
    ).text();
    assert.match(metrics, /^smtp_relay_systemic_failures_total\{category="pop3"\} [1-9]/m);
    assert.ok(
      !JSON.stringify([...sender.logs, ...sender.output]).includes(PASSWORD),
      'the password is never logged',
    );
    assert.ok(!smartHost.events.some((e) => e.type === 'connect'), 'no SMTP before the login');
    assert.equal((await readQueueState(redis.url, stack.prefix)).bodies, 1, 'the message is kept');

    // The operator fixes the mailbox's password: the held message goes out by itself.
    pop3.setUsers({ [USER]: PASSWORD });
    const [message] = await smartHost.waitForMessages(1, 20_000);
    assert.deepEqual(message?.rcptTo, ['boss@example.test']);
    assert.equal(pop3.logins.length, 1);
    assert.ok(pop3.attempts.length >= 2, 'the refused login was tried again, not remembered');
    assert.equal(events(sender, 'delivery.bounced').length, 0);
    await sender.waitForLog((line) => line.event === 'delivery.delivered');
  });
});
