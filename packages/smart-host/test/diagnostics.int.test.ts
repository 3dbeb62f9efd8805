import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  generateCertificates,
  getFreePort,
  startFakeSmartHost,
  type FakeSmartHost,
  type FakeSmartHostOptions,
  type GeneratedCertificates,
} from '@smtp-relay/testkit';
import { checkSmartHostRoute, type SmartHostCheckOptions } from '../src/diagnostics/check-route.ts';
import type { DiagnosticStep, SmartHostCheckReport } from '../src/diagnostics/diagnostic-step.ts';
import { TEST_MESSAGE_SUBJECT } from '../src/diagnostics/test-message.ts';

// check-smarthost against real fake smart hosts on loopback, in every TLS mode
// and with the misconfigurations operators actually make: each failure must
// stop at the right step and name the variable to change.

const USER = 'relay@example.test';
const PASSWORD = 'correct horse battery';

/** The default route of one host: its report. */
async function checkSmartHost(options: SmartHostCheckOptions): Promise<SmartHostCheckReport> {
  const { hosts } = await checkSmartHostRoute(options);
  assert.equal(hosts.length, 1);
  return hosts[0] as SmartHostCheckReport;
}

type HostName = 'starttls' | 'implicit' | 'plain' | 'refusing';

interface Expectation {
  readonly ok: boolean;
  /** The step that failed (the last one reported). */
  readonly failedStep?: DiagnosticStep['step'];
  readonly variable?: string;
  /** Text in the failed step's detail or cause. */
  readonly says?: RegExp;
  /** Variables named by warnings. */
  readonly warnings?: readonly string[];
}

interface Row {
  readonly name: string;
  readonly host: HostName | 'unresolvable' | 'refused';
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly expect: Expectation;
}

const ROWS: readonly Row[] = [
  {
    name: 'starttls with the CA file and the right password',
    host: 'starttls',
    env: {},
    expect: { ok: true },
  },
  {
    name: 'implicit TLS',
    host: 'implicit',
    env: { SMART_HOST_TLS: 'implicit' },
    expect: { ok: true },
  },
  {
    name: 'plain text (SMART_HOST_TLS=none) works with a warning',
    host: 'plain',
    env: { SMART_HOST_TLS: 'none' },
    expect: { ok: true, warnings: ['SMART_HOST_TLS', 'SMART_HOST_TLS'] },
  },
  {
    name: 'no SMART_HOST_USER: login skipped',
    host: 'starttls',
    env: { SMART_HOST_USER: undefined, SMART_HOST_PASSWORD: undefined },
    expect: { ok: true },
  },
  {
    name: 'HELO name that is not a fully qualified domain',
    host: 'starttls',
    env: { HELO_NAME: 'vm' },
    expect: { ok: true, warnings: ['HELO_NAME'] },
  },
  {
    name: 'SMART_HOST_TLS_VERIFY=false with an untrusted CA works with a warning',
    host: 'starttls',
    env: { SMART_HOST_CA_FILE: undefined, SMART_HOST_TLS_VERIFY: 'false' },
    expect: { ok: true, warnings: ['SMART_HOST_TLS_VERIFY', 'SMART_HOST_TLS_VERIFY'] },
  },
  {
    name: 'implicit TLS against a STARTTLS port',
    host: 'starttls',
    env: { SMART_HOST_TLS: 'implicit' },
    expect: {
      ok: false,
      failedStep: 'tls',
      variable: 'SMART_HOST_TLS',
      says: /SMART_HOST_TLS=starttls/,
    },
  },
  {
    name: 'STARTTLS against an implicit-TLS port',
    host: 'implicit',
    env: { SMART_HOST_TLS: 'starttls' },
    expect: {
      ok: false,
      failedStep: 'greeting',
      variable: 'SMART_HOST_TLS',
      says: /SMART_HOST_TLS=implicit/,
    },
  },
  {
    name: 'STARTTLS against a host without STARTTLS',
    host: 'plain',
    env: { SMART_HOST_TLS: 'starttls' },
    expect: {
      ok: false,
      failedStep: 'tls',
      variable: 'SMART_HOST_PORT',
      says: /does not offer STARTTLS/,
    },
  },
  {
    name: 'certificate from a CA not trusted (no SMART_HOST_CA_FILE)',
    host: 'starttls',
    env: { SMART_HOST_CA_FILE: undefined },
    expect: { ok: false, failedStep: 'tls', variable: 'SMART_HOST_CA_FILE', says: /NOT verified/ },
  },
  {
    name: 'wrong password',
    host: 'starttls',
    env: { SMART_HOST_PASSWORD: 'wrong password' },
    expect: { ok: false, failedStep: 'login', variable: 'SMART_HOST_PASSWORD', says: /535/ },
  },
  {
    name: 'SMART_HOST_AUTH_METHODS=CRAM-MD5 when only PLAIN and LOGIN are offered',
    host: 'starttls',
    env: { SMART_HOST_AUTH_METHODS: 'CRAM-MD5' },
    expect: {
      ok: false,
      failedStep: 'auth',
      variable: 'SMART_HOST_AUTH_METHODS',
      says: /PLAIN, LOGIN/,
    },
  },
  {
    name: 'a host name that does not resolve',
    host: 'unresolvable',
    env: { SMART_HOST: 'smtp.smart-host.invalid' },
    expect: { ok: false, failedStep: 'resolve', variable: 'SMART_HOST', says: /does not resolve/ },
  },
  {
    name: 'a port nothing listens on',
    host: 'refused',
    env: {},
    expect: { ok: false, failedStep: 'connect', variable: 'SMART_HOST_PORT', says: /ECONNREFUSED/ },
  },
  {
    name: 'a smart host that refuses this relay at its greeting',
    host: 'refusing',
    env: {},
    expect: { ok: false, failedStep: 'greeting', variable: 'SMART_HOST', says: /554 5\.7\.1/ },
  },
  {
    name: 'an invalid configuration lists every problem',
    host: 'starttls',
    env: { SMART_HOST_PORT: 'x', SMART_HOST_TLS: 'bogus' },
    expect: { ok: false, failedStep: 'config', variable: 'SMART_HOST_TLS', says: /bogus/ },
  },
];

function summary(report: SmartHostCheckReport): string {
  return report.steps
    .map(
      (step) =>
        `${String(step.ok)} ${step.step} ${step.detail} | ${step.cause ?? ''} | ${step.variable ?? ''}`,
    )
    .join('\n');
}

describe('check-smarthost diagnostics against the fake smart host', () => {
  let certs: GeneratedCertificates;
  const hosts = new Map<HostName, FakeSmartHost>();
  let refusedPort: number;

  before(async () => {
    certs = await generateCertificates();
    const certificate = { key: certs.key, cert: certs.cert };
    const auth = {
      username: USER,
      password: PASSWORD,
      methods: ['PLAIN' as const, 'LOGIN' as const],
    };
    const options: Record<HostName, FakeSmartHostOptions> = {
      starttls: { tls: 'starttls', certificate, auth },
      implicit: { tls: 'implicit', certificate, auth },
      plain: { tls: 'none', auth, allowInsecureAuth: true },
      refusing: {
        tls: 'starttls',
        certificate,
        auth,
        script: { greeting: { code: 554, message: '5.7.1 Client host rejected: not allowed' } },
      },
    };
    for (const [name, hostOptions] of Object.entries(options)) {
      hosts.set(name as HostName, await startFakeSmartHost(hostOptions));
    }
    refusedPort = await getFreePort();
  });

  after(async () => {
    for (const host of hosts.values()) await host.close();
    await certs.cleanup();
  });

  function environment(row: Row): Record<string, string> {
    const fake =
      row.host === 'unresolvable' || row.host === 'refused' ? undefined : hosts.get(row.host);
    const merged: Record<string, string | undefined> = {
      SMART_HOST: '127.0.0.1',
      SMART_HOST_PORT: String(fake?.port ?? refusedPort),
      SMART_HOST_TLS: 'starttls',
      SMART_HOST_USER: USER,
      SMART_HOST_PASSWORD: PASSWORD,
      SMART_HOST_CA_FILE: certs.caFile,
      SMTP_HOSTNAME: 'relay.example.test',
      SMTP_CLIENT_TIMEOUT: '2s',
      ...row.env,
    };
    return Object.fromEntries(
      Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined),
    );
  }

  for (const row of ROWS) {
    it(row.name, async () => {
      const report = await checkSmartHost({ env: environment(row) });
      const text = summary(report);
      assert.equal(report.ok, row.expect.ok, text);
      const warnings = report.steps
        .filter((step) => step.ok === 'warn')
        .map((step) => step.variable);
      assert.deepEqual(warnings, row.expect.warnings ?? [], text);
      const failures = report.steps.filter((step) => step.ok === false);
      if (row.expect.ok) {
        assert.deepEqual(
          report.steps
            .filter((step) => step.ok === true)
            .map((step) => step.step)
            .slice(-2),
          ['auth', 'login'],
          text,
        );
        return;
      }
      const last = report.steps.at(-1);
      assert.ok(last !== undefined && last.ok === false, text);
      assert.equal(last.step, row.expect.failedStep, text);
      assert.ok(
        failures.some((step) => step.variable === row.expect.variable),
        text,
      );
      assert.ok(
        failures.some(
          (step) => row.expect.says?.test(`${step.detail} ${step.cause ?? ''}`) ?? true,
        ),
        text,
      );
      assert.ok(
        failures.every((step) => step.cause !== undefined),
        text,
      );
    });
  }

  it('reports the TLS protocol and the certificate of a STARTTLS session', async () => {
    const report = await checkSmartHost({ env: environment(ROWS[0] as Row) });
    const tls = report.steps.find((step) => step.step === 'tls');
    assert.ok(tls !== undefined, summary(report));
    assert.equal(tls.ok, true);
    assert.match(tls.detail, /^TLSv1\.[23] /);
    assert.match(tls.detail, /certificate CN=localhost issued by CN=smtp-relay testkit CA/);
    assert.match(tls.detail, /\(verified\)$/);
    assert.equal(tls.facts?.['verified'], true);
    const ehlo = report.steps.find((step) => step.step === 'ehlo');
    assert.match(ehlo?.detail ?? '', /AUTH PLAIN LOGIN/);
    const login = report.steps.find((step) => step.step === 'login');
    assert.match(login?.detail ?? '', /logged in as relay@example\.test .*235/);
    assert.doesNotMatch(JSON.stringify(report), new RegExp(PASSWORD));
  });

  it('--send-to delivers a test message through the smart host', async () => {
    const fake = hosts.get('starttls');
    assert.ok(fake !== undefined);
    fake.reset();
    const report = await checkSmartHost({
      env: environment(ROWS[0] as Row),
      sendTo: 'operator@example.test',
    });
    assert.equal(report.ok, true, summary(report));
    const [message] = await fake.waitForMessages(1);
    assert.ok(message !== undefined);
    assert.deepEqual(message.rcptTo, ['operator@example.test']);
    // From the mailbox it logs in as (providers refuse other senders), not POSTMASTER.
    assert.equal(message.mailFrom, USER);
    assert.equal(message.authUser, USER);
    assert.match(message.data.toString(), new RegExp(`^Subject: ${TEST_MESSAGE_SUBJECT}\r$`, 'm'));
    const send = report.steps.at(-1);
    assert.equal(send?.step, 'send');
    assert.match(send.detail, new RegExp(`queued as ${message.queueId}`));
  });

  it('a refused recipient fails the send step with the smart host reply', async () => {
    const report = await checkSmartHost({
      env: environment(ROWS[0] as Row),
      sendTo: 'reject-me@example.test',
    });
    assert.equal(report.ok, false, summary(report));
    const send = report.steps.at(-1);
    assert.equal(send?.step, 'send');
    assert.equal(send.ok, false);
    assert.match(send.detail, /550 5\.1\.1/);
  });
});
