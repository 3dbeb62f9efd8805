import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  generateCertificates,
  getFreePort,
  type FakeSmartHost,
  type GeneratedCertificates,
} from '@smtp-relay/testkit';
import type { SmartHostCheckReport } from '@smtp-relay/smart-host';
import { check, checkEnv, cli, startLoginSmartHost } from './harness/check-smarthost.ts';
import {
  APP,
  MAILBOX,
  grantVariables,
  startOAuth2World,
  type OAuth2World,
} from './harness/oauth2-relay.ts';

// `npx smtp-relay check-smarthost` as the operator sees it: the command's
// output and exit code against a real fake smart host (password and OAuth2),
// with the CLI's own OAuth2 token source. The step-by-step diagnosis of each
// misconfiguration is covered in packages/smart-host/test/diagnostics.int.test.ts.

const USER = 'relay@example.test';
const PASSWORD = 'Sup3r-secret-relay-password';

describe('npx smtp-relay check-smarthost', () => {
  let certs: GeneratedCertificates;
  let smartHost: FakeSmartHost;
  let world: OAuth2World;
  let base: Record<string, string>;

  before(async () => {
    certs = await generateCertificates();
    smartHost = await startLoginSmartHost(certs, USER, PASSWORD);
    world = await startOAuth2World(certs);
    base = {
      SMART_HOST: '127.0.0.1',
      SMART_HOST_PORT: String(smartHost.port),
      ...(await checkEnv(certs)),
    };
  });

  after(async () => {
    await world.close();
    await smartHost.close();
    await certs.cleanup();
  });

  it('prints one line per step and exits 0 when the smart host works', async () => {
    const result = await check({ ...base, SMART_HOST_USER: USER, SMART_HOST_PASSWORD: PASSWORD });
    assert.equal(result.code, 0, result.stdout);
    const steps = result.stdout
      .split('\n')
      .filter((line) => /^(ok|warn|FAIL) /.test(line))
      .map((line) => line.split(/\s+/).slice(0, 2).join(' '));
    // The EHLO before STARTTLS is not a step of its own: its extensions are forgotten after TLS.
    const expected = ['config', 'resolve', 'connect', 'greeting', 'tls', 'ehlo', 'auth', 'login'];
    assert.deepEqual(
      steps,
      expected.map((step) => `ok ${step}`),
      result.stdout,
    );
    assert.match(
      result.stdout,
      /^ok {3}tls {7}TLSv1\.[23] .*certificate CN=localhost issued by CN=smtp-relay testkit CA, valid until \d{4}-\d\d-\d\d .*\(verified\)$/m,
    );
    assert.match(result.stdout, /check-smarthost: 127\.0\.0\.1:\d+ works$/);
    assert.ok(!result.stdout.includes(PASSWORD), 'the password is never printed');
  });

  it('--json: a wrong password fails the login step with the reply and the variable', async () => {
    const result = await check(
      { ...base, SMART_HOST_USER: USER, SMART_HOST_PASSWORD: 'not-the-password' },
      { json: true },
    );
    assert.equal(result.code, 1, result.stdout);
    const report = JSON.parse(result.stdout) as SmartHostCheckReport;
    assert.equal(report.ok, false);
    const login = report.steps.at(-1);
    assert.equal(login?.step, 'login');
    assert.equal(login.ok, false);
    assert.match(login.detail, /535 5\.7\.8/);
    assert.equal(login.variable, 'SMART_HOST_PASSWORD');
    assert.match(login.cause ?? '', /SMART_HOST_PASSWORD/);
    assert.ok(!result.stdout.includes('not-the-password'), 'the password is never printed');
  });

  it('names the cause and the variable under a failing step', async () => {
    const result = await check({
      ...base,
      SMART_HOST_TLS: 'implicit',
      SMART_HOST_USER: USER,
      SMART_HOST_PASSWORD: PASSWORD,
    });
    assert.equal(result.code, 1, result.stdout);
    assert.match(
      result.stdout,
      /^FAIL tls {7}TLS handshake on port \d+ failed: .*greets in plain text/m,
    );
    assert.match(result.stdout, /^ {15}cause: .*SMART_HOST_TLS=starttls/m);
    assert.match(result.stdout, /^ {15}change: SMART_HOST_TLS$/m);
    assert.match(result.stdout, /check-smarthost: FAILED/);
  });

  it('logs in with an OAuth2 token and sends a test message (--send-to)', async () => {
    world.smartHost.reset();
    const result = await check(
      {
        ...base,
        SMART_HOST_PORT: String(world.smartHost.port),
        ...grantVariables(world, certs, 'client-credentials'),
      },
      { sendTo: 'operator@example.test' },
    );
    assert.equal(result.code, 0, result.stdout);
    assert.match(result.stdout, /^ok {3}auth .*will use XOAUTH2$/m);
    assert.match(
      result.stdout,
      new RegExp(`^ok {3}login {5}logged in as ${MAILBOX} with an OAuth2 access token`, 'm'),
    );
    const [message] = await world.smartHost.waitForMessages(1);
    assert.equal(message?.authMethod, 'XOAUTH2');
    assert.deepEqual(message.rcptTo, ['operator@example.test']);
    assert.match(result.stdout, new RegExp(`^ok {3}send .*queued as ${message.queueId}$`, 'm'));
    assert.ok(!result.stdout.includes(APP.clientSecret), 'the client secret is never printed');
  });

  it('an OAuth2 client secret the endpoint refuses fails the login, naming the secret', async () => {
    const result = await check(
      {
        ...base,
        SMART_HOST_PORT: String(world.smartHost.port),
        ...grantVariables(world, certs, 'client-credentials'),
        SMART_HOST_OAUTH2_CLIENT_SECRET: 'an-outdated-secret',
      },
      { json: true },
    );
    assert.equal(result.code, 1, result.stdout);
    const report = JSON.parse(result.stdout) as SmartHostCheckReport;
    const login = report.steps.at(-1);
    assert.equal(login?.step, 'login', result.stdout);
    assert.equal(login.variable, 'SMART_HOST_OAUTH2_CLIENT_SECRET', result.stdout);
    assert.ok(!result.stdout.includes('an-outdated-secret'), 'the client secret is never printed');
  });

  it('as a process: --json --send-to exits 0 and the message arrives', async () => {
    smartHost.reset();
    const result = await cli(['--json', '--send-to', 'operator@example.test'], {
      ...base,
      SMART_HOST_USER: USER,
      SMART_HOST_PASSWORD: PASSWORD,
    });
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    const report = JSON.parse(result.stdout) as SmartHostCheckReport;
    assert.equal(report.ok, true);
    assert.deepEqual(report.steps.map((step) => step.step).slice(-3), ['auth', 'login', 'send']);
    const [message] = await smartHost.waitForMessages(1);
    assert.deepEqual(message?.rcptTo, ['operator@example.test']);
  });

  it('as a process: exits 1 when the smart host cannot be reached', async () => {
    const result = await cli([], { ...base, SMART_HOST_PORT: String(await getFreePort()) });
    assert.equal(result.code, 1, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /^FAIL connect .*ECONNREFUSED/m);
    assert.match(result.stdout, /^ {15}change: SMART_HOST_PORT$/m);
  });
});
