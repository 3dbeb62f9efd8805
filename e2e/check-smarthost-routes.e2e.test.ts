import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  generateCertificates,
  type FakeSmartHost,
  type GeneratedCertificates,
} from '@smtp-relay/testkit';
import type { RouteCheckReport } from '@smtp-relay/smart-host';
import { stringify } from 'yaml';
import { check, checkEnv, cli, startLoginSmartHost } from './harness/check-smarthost.ts';

// `npx smtp-relay check-smarthost` with a backup smart host and with routes
// (docs/reference.md "Failover, routes and rate limits"): every host of the route
// is checked in order, each with the whole step chain; a dead backup fails the
// check. `--route NAME` checks a route of SMART_HOST_ROUTES_FILE with its own
// host and login. Real fake smart hosts, the real command line.

const USER = 'relay@example.test';
const PASSWORD = 'Sup3r-secret-relay-password';
const SALES_USER = 'sales-relay';
const SALES_PASSWORD = 'sales-secret-0123';

/** The lines of `host N of M: ...`'s block, up to the next block or the verdict. */
function block(text: string, heading: string): string {
  const start = text.indexOf(`${heading}\n`);
  assert.ok(start >= 0, `no block "${heading}" in:\n${text}`);
  const end = text.indexOf('\n\n', start);
  return text.slice(start, end < 0 ? undefined : end);
}

describe('npx smtp-relay check-smarthost: every host of a route', () => {
  let certs: GeneratedCertificates;
  let dir: string;
  let primary: FakeSmartHost;
  /** Wants USER with another password than PASSWORD. */
  let backup: FakeSmartHost;
  /** Like primary: a working second host. */
  let secondary: FakeSmartHost;
  /** Route `sales`. */
  let sales: FakeSmartHost;
  let base: Record<string, string>;
  let routesFile: string;

  const host = (fake: FakeSmartHost): string => `127.0.0.1:${String(fake.port)}`;

  before(async () => {
    certs = await generateCertificates();
    dir = await mkdtemp(join(tmpdir(), 'check-smarthost-routes-'));
    const start = (username: string, password: string) =>
      startLoginSmartHost(certs, username, password);
    [primary, backup, secondary, sales] = await Promise.all([
      start(USER, PASSWORD),
      start(USER, 'the-backup-wants-another-one'),
      start(USER, PASSWORD),
      start(SALES_USER, SALES_PASSWORD),
    ]);
    const passwordFile = (name: string, value: string): Promise<string> => {
      const file = join(dir, name);
      return writeFile(file, `${value}\n`).then(() => file);
    };
    routesFile = join(dir, 'routes.yaml');
    await writeFile(
      routesFile,
      stringify({
        routes: [
          {
            name: 'sales',
            match: { senders: ['*@sales.example.com'] },
            smartHost: {
              host: host(sales),
              tls: 'starttls',
              user: SALES_USER,
              passwordFile: await passwordFile('sales', SALES_PASSWORD),
            },
          },
          {
            name: 'billing',
            match: { senders: ['*@billing.example.com'] },
            // The provider rotated the password; the file still has the old one.
            smartHost: {
              host: host(sales),
              tls: 'starttls',
              user: SALES_USER,
              passwordFile: await passwordFile('billing', 'an-old-billing-secret'),
            },
          },
        ],
      }),
    );
    base = {
      SMART_HOST_USER: USER,
      SMART_HOST_PASSWORD: PASSWORD,
      ...(await checkEnv(certs)),
    };
  });

  after(async () => {
    await Promise.all([primary, backup, secondary, sales].map((fake) => fake.close()));
    await rm(dir, { recursive: true, force: true });
    await certs.cleanup();
  });

  it('a backup host that refuses the password fails the check, naming host 2 and its step', async () => {
    const result = await check({ ...base, SMART_HOST: `${host(primary)},${host(backup)}` });
    assert.equal(result.code, 1, result.stdout);
    const first = block(result.stdout, `host 1 of 2: ${host(primary)}`);
    assert.match(first, /^ok {3}login {5}logged in as relay@example\.test/m);
    const second = block(result.stdout, `host 2 of 2: ${host(backup)}`);
    // The whole chain again, with the second host's own port.
    assert.match(second, new RegExp(`^ok {3}config {4}smart host ${host(backup)}, `, 'm'));
    assert.match(second, /^ok {3}tls {7}TLSv1\.[23] /m);
    assert.match(second, /^FAIL login {5}.*535 5\.7\.8/m);
    assert.match(second, /^ {15}change: SMART_HOST_PASSWORD$/m);
    assert.match(
      result.stdout,
      new RegExp(
        `^check-smarthost: FAILED for route default: host 2 of 2 \\(${host(backup)}\\): fix`,
        'm',
      ),
    );
    assert.ok(!result.stdout.includes(PASSWORD), 'the password is never printed');
  });

  it('--json --send-to: one report per host, each logging in and sending', async () => {
    primary.reset();
    secondary.reset();
    const result = await cli(['--json', '--send-to', 'operator@example.test'], {
      ...base,
      SMART_HOST: `${host(primary)},${host(secondary)}`,
    });
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    const report = JSON.parse(result.stdout) as RouteCheckReport;
    assert.deepEqual(Object.keys(report), ['ok', 'route', 'hosts']);
    assert.equal(report.ok, true);
    assert.equal(report.route, 'default');
    assert.deepEqual(
      report.hosts.map((each) => [each.ok, each.smartHost, each.steps.at(-1)?.step]),
      [
        [true, host(primary), 'send'],
        [true, host(secondary), 'send'],
      ],
    );
    for (const fake of [primary, secondary]) {
      const [message] = await fake.waitForMessages(1);
      assert.deepEqual(message?.rcptTo, ['operator@example.test']);
    }
  });

  it('--json with a dead backup: exit 1, the failed host and step in its own report', async () => {
    const result = await check(
      { ...base, SMART_HOST: `${host(primary)},${host(backup)}` },
      { json: true },
    );
    assert.equal(result.code, 1, result.stdout);
    const report = JSON.parse(result.stdout) as RouteCheckReport;
    assert.equal(report.ok, false);
    const [first, second] = report.hosts;
    assert.equal(first?.ok, true);
    assert.equal(second?.ok, false);
    assert.equal(second.smartHost, host(backup));
    assert.equal(second.steps.at(-1)?.step, 'login');
    assert.ok(!result.stdout.includes(PASSWORD), 'the password is never printed');
  });

  it("--route checks that route's host and login from the routes file", async () => {
    const result = await cli(['--route', 'sales'], {
      ...base,
      SMART_HOST: host(primary),
      SMART_HOST_ROUTES_FILE: routesFile,
    });
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    const only = block(result.stdout, `host 1 of 1: ${host(sales)}`);
    assert.match(only, new RegExp(`^ok {3}login {5}logged in as ${SALES_USER} `, 'm'));
    assert.doesNotMatch(result.stdout, new RegExp(host(primary)));
    assert.match(
      result.stdout,
      new RegExp(`^check-smarthost: route sales: ${host(sales)} works$`, 'm'),
    );
    assert.ok(!result.stdout.includes(SALES_PASSWORD), 'the password is never printed');
  });

  it("--route: a route's refused password names its key in the routes file", async () => {
    const result = await check(
      { ...base, SMART_HOST: host(primary), SMART_HOST_ROUTES_FILE: routesFile },
      { route: 'billing', json: true },
    );
    assert.equal(result.code, 1, result.stdout);
    const report = JSON.parse(result.stdout) as RouteCheckReport;
    assert.equal(report.route, 'billing');
    const login = report.hosts[0]?.steps.at(-1);
    assert.equal(login?.step, 'login', result.stdout);
    assert.equal(login.variable, 'SMART_HOST_ROUTES_FILE: routes[1].smartHost.passwordFile');
    assert.doesNotMatch(login.cause ?? '', /SMART_HOST_PASSWORD/);
    assert.ok(!result.stdout.includes('an-old-billing-secret'), 'the password is never printed');
  });

  it('an unknown --route is a usage error listing the routes', async () => {
    const result = await cli(['--route', 'marketing'], {
      ...base,
      SMART_HOST: host(primary),
      SMART_HOST_ROUTES_FILE: routesFile,
    });
    assert.equal(result.code, 2, `${result.stdout}\n${result.stderr}`);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /no route "marketing": the routes are default, sales, billing/);
  });
});
