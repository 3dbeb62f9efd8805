import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  ConfigError,
  findConfigWarnings,
  formatConfig,
  formatConfigJson,
  loadAllInOneConfig,
  loadRoutesFile,
  loadSenderConfig,
  type Environment,
  type RouteConfig,
  type SmartHostConfig,
} from '../src/index.ts';
import { FIXTURES, createTempDir } from './temp-files.ts';

// docs/reference.md "Failover, routes and rate limits": SMART_HOST_ROUTES_FILE. A route's
// smart host is checked and built by the SMART_HOST_* variables' own parsers, rules and
// builder; its problems name their place in the file.

const HOST = { hostname: 'relay.example.com' };
const temp = createTempDir();
after(() => {
  temp.remove();
});
const salesSecret = temp.file('sales', 'sales-secret\n');
const ispPassword = temp.file('isp', 'isp-password\n');
const dkimDir = temp.directory('dkim');
const routeDkimDir = temp.directory('dkim-sales');
let fileCount = 0;

/** A routes file with this text; its path. */
function routesFile(text: string): string {
  fileCount += 1;
  return temp.file(`routes-${String(fileCount)}.yaml`, text);
}

function problemsOf(load: () => unknown): readonly string[] {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return assert.fail('expected a ConfigError');
}

// The example of the contract, with its secrets in this test's files.
const SPEC_EXAMPLE = `routes:
  - name: sales
    match:
      senders: ['*@sales.example.com', 'printer@example.com']
      users: [scanner-3f]
    smartHost:
      host: smtp.office365.com
      port: 587
      tls: starttls
      user: sales@example.com
      oauth2: {provider: microsoft, tenant: example.com, clientId: 0f1e..., clientSecretFile: ${salesSecret}}
      rate: 30/1m
  - name: isp
    match: {senders: ['*@example.org']}
    smartHost: {host: 'mail.isp.example:465,backup.isp.example:587', user: relay, passwordFile: ${ispPassword}}
`;

const NO_SMART_HOST_DEFAULTS = {
  provider: undefined,
  region: undefined,
  demo: false,
  cooldownMs: 30_000,
  rate: undefined,
  recipientRate: undefined,
  user: undefined,
  password: undefined,
  oauth2: undefined,
  authMethods: undefined,
  caFile: undefined,
  tlsVerify: true,
} as const satisfies Partial<SmartHostConfig>;

const SPEC_ROUTES: readonly RouteConfig[] = [
  {
    name: 'sales',
    match: { senders: ['*@sales.example.com', 'printer@example.com'], users: ['scanner-3f'] },
    smartHost: {
      ...NO_SMART_HOST_DEFAULTS,
      host: 'smtp.office365.com',
      port: 587,
      tls: 'starttls',
      hosts: [{ host: 'smtp.office365.com', port: 587, tls: 'starttls' }],
      rate: { count: 30, perMs: 60_000 },
      user: 'sales@example.com',
      oauth2: {
        provider: 'microsoft',
        tenant: 'example.com',
        tokenUrl: 'https://login.microsoftonline.com/example.com/oauth2/v2.0/token',
        clientId: '0f1e...',
        scope: 'https://outlook.office365.com/.default',
        grant: { kind: 'client-credentials', clientSecret: 'sales-secret' },
      },
    },
    rewriteFrom: undefined,
    dkimKeysDir: undefined,
  },
  {
    name: 'isp',
    match: { senders: ['*@example.org'], users: [] },
    smartHost: {
      ...NO_SMART_HOST_DEFAULTS,
      host: 'mail.isp.example',
      port: 465,
      tls: 'implicit',
      hosts: [
        { host: 'mail.isp.example', port: 465, tls: 'implicit' },
        { host: 'backup.isp.example', port: 587, tls: 'starttls' },
      ],
      user: 'relay',
      password: 'isp-password',
    },
    rewriteFrom: undefined,
    dkimKeysDir: undefined,
  },
];

/** A route's name and match; its settings follow. */
const ROUTE = `  - name: r\n    match: {users: [u]}\n`;

describe('SMART_HOST_ROUTES_FILE', () => {
  it('reads the example of docs/reference.md', () => {
    assert.deepEqual(loadRoutesFile(routesFile(SPEC_EXAMPLE)), SPEC_ROUTES);
  });

  it('is part of the sender configuration, in file order', () => {
    const path = routesFile(SPEC_EXAMPLE);
    const config = loadSenderConfig(
      { SMART_HOST: 'smtp.example.com', SMART_HOST_ROUTES_FILE: path },
      HOST,
    );
    assert.equal(config.routesFile, path);
    assert.deepEqual(config.routes, SPEC_ROUTES);
    assert.ok(Object.isFrozen(config.routes[0]?.smartHost.hosts));
    const allInOne = loadAllInOneConfig(
      { SMART_HOST: 'smtp.example.com', SMART_HOST_ROUTES_FILE: path },
      HOST,
    );
    assert.deepEqual(allInOne.routes, SPEC_ROUTES);
  });

  it('has no routes without a file', () => {
    const config = loadSenderConfig({ SMART_HOST: 'smtp.example.com' }, HOST);
    assert.equal(config.routesFile, undefined);
    assert.deepEqual(config.routes, []);
  });

  // Only caFile, tlsVerify and cooldown (and dkimKeysDir) come from the variables. Each row:
  // the variables, the route's settings after its match, what its config holds.
  const INHERITANCE: readonly (readonly [
    string,
    Environment,
    string,
    Partial<SmartHostConfig> & Partial<Pick<RouteConfig, 'dkimKeysDir' | 'rewriteFrom'>>,
  ])[] = [
    [
      'caFile, tlsVerify, cooldown and dkimKeysDir from the variables',
      {
        SMART_HOST_CA_FILE: FIXTURES.cert,
        SMART_HOST_TLS_VERIFY: 'false',
        SMART_HOST_COOLDOWN: '2m',
        DKIM_KEYS_DIR: dkimDir,
      },
      '    smartHost: {host: a.example}\n',
      { caFile: FIXTURES.cert, tlsVerify: false, cooldownMs: 120_000, dkimKeysDir: dkimDir },
    ],
    [
      "the route's own win",
      { SMART_HOST_TLS_VERIFY: 'false', SMART_HOST_COOLDOWN: '2m', DKIM_KEYS_DIR: dkimDir },
      `    smartHost: {host: a.example, tlsVerify: true, cooldown: 45s, caFile: ${FIXTURES.cert}}\n    dkimKeysDir: ${routeDkimDir}\n`,
      { caFile: FIXTURES.cert, tlsVerify: true, cooldownMs: 45_000, dkimKeysDir: routeDkimDir },
    ],
    [
      'nothing else: provider, port, credentials, rates and rewriting are the route’s alone',
      {
        SMART_HOST_PROVIDER: 'm365',
        SMART_HOST_PORT: '465',
        SMART_HOST_RATE: '5/1m',
        REWRITE_FROM: 'relay@example.com',
      },
      '    smartHost: {host: a.example}\n',
      {
        provider: undefined,
        port: 587,
        tls: 'starttls',
        rate: undefined,
        recipientRate: undefined,
        rewriteFrom: undefined,
      },
    ],
    [
      "a route's preset gives its defaults, as SMART_HOST_PROVIDER does",
      {},
      `    smartHost: {provider: m365, user: box@example.com, oauth2: {tenant: example.com, clientId: id, clientSecretFile: ${salesSecret}}}\n`,
      {
        provider: 'm365',
        host: 'smtp.office365.com',
        port: 587,
        tls: 'starttls',
        rate: { count: 30, perMs: 60_000 },
        recipientRate: { count: 10_000, perMs: 86_400_000 },
      },
    ],
    [
      "rate: off turns the preset's limit off",
      {},
      `    smartHost: {provider: m365, user: box@example.com, rate: 'off', recipientRate: 0, oauth2: {tenant: example.com, clientId: id, clientSecretFile: ${salesSecret}}}\n`,
      { rate: undefined, recipientRate: undefined },
    ],
  ];
  for (const [title, env, settings, expected] of INHERITANCE) {
    it(`takes ${title}`, () => {
      const text = `routes:\n${ROUTE}${settings}`;
      const config = loadSenderConfig(
        { SMART_HOST: 'smtp.example.com', SMART_HOST_ROUTES_FILE: routesFile(text), ...env },
        HOST,
      );
      const [route] = config.routes;
      assert.ok(route);
      const actual: Record<string, unknown> = { ...route.smartHost, ...route };
      for (const [key, value] of Object.entries(expected)) {
        assert.deepEqual(actual[key], value, key);
      }
    });
  }

  // One row per problem: the file's text and every problem it causes.
  const PROBLEMS: readonly (readonly [string, string, readonly string[]])[] = [
    ['an empty file', '# nothing yet\n', ['is empty']],
    [
      'a YAML syntax error',
      'routes:\n  - name: [r\n',
      [
        'line 3, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]',
      ],
    ],
    [
      'a key written twice',
      `routes:\n  - name: r\n    name: s\n    match: {users: [u]}\n    smartHost: {host: a.example}\n`,
      ['line 3, column 5: Map keys must be unique'],
    ],
    ['no routes', 'routes: []\n', ['routes: must list at least one route']],
    [
      'a misspelt top-level key',
      'route:\n  - name: r\n',
      ['routes: required', 'route: unknown key; the keys here are routes'],
    ],
    ['not a map', '- name: r\n', ['expected a map of keys, got a list']],
    [
      'a bad route name',
      `routes:\n  - name: Sales Team\n    match: {users: [u]}\n    smartHost: {host: a.example}\n`,
      [
        'routes[0].name: must be 1-63 lower-case letters, digits, "-" or "_", starting with a letter or digit',
      ],
    ],
    [
      'the name of the default route',
      `routes:\n  - name: default\n    match: {users: [u]}\n    smartHost: {host: a.example}\n`,
      ['routes[0].name: "default" is the name of the SMART_HOST_* route; choose another'],
    ],
    [
      'a name used twice',
      `routes:\n${ROUTE}    smartHost: {host: a.example}\n${ROUTE}    smartHost: {host: b.example}\n`,
      ['routes[1].name: "r" is already the name of routes[0]'],
    ],
    [
      'a route without match or smart host',
      `routes:\n  - name: r\n`,
      ['routes[0].match: required', 'routes[0].smartHost: required'],
    ],
    [
      'a match with nothing in it',
      `routes:\n  - name: r\n    match: {senders: [], users: []}\n    smartHost: {host: a.example}\n`,
      ['routes[0].match: needs at least one sender pattern (senders) or user name (users)'],
    ],
    [
      'bad sender patterns and user names',
      `routes:\n  - name: r\n    match: {senders: ['sales.example.com', '*@*.example.com'], users: ['a b'], user: [x]}\n    smartHost: {host: a.example}\n`,
      [
        'routes[0].match.senders[0]: "sales.example.com": expected "user@domain", "*@domain" or "*"',
        'routes[0].match.senders[1]: "*@*.example.com": a domain has no wildcard (list each domain, subdomains too)',
        'routes[0].match.users[0]: must be a user name of SMTP_AUTH_FILE (no white space)',
        'routes[0].match.user: unknown key; the keys here are senders, users',
      ],
    ],
    [
      'a single pattern not in a list',
      `routes:\n  - name: r\n    match: {senders: '*@example.org'}\n    smartHost: {host: a.example}\n`,
      ['routes[0].match.senders: expected a list, got "*@example.org"'],
    ],
    [
      'wrong types',
      `routes:\n${ROUTE}    smartHost: {host: a.example, port: '587', tlsVerify: 'yes', authMethods: 5}\n`,
      [
        'routes[0].smartHost.port: expected a number, got "587"',
        'routes[0].smartHost.authMethods: expected a list or a comma-separated string',
        'routes[0].smartHost.tlsVerify: expected true or false, got "yes"',
      ],
    ],
    [
      'unknown keys and secrets in the file',
      `routes:\n${ROUTE}    smartHost: {hots: a.example, password: x, oauth2: {clientId: c, clientSecret: s, refreshToken: t}}\n    dkim: /keys\n`,
      [
        'routes[0].smartHost.oauth2.clientSecret: not allowed: no secret is written in this file; set clientSecretFile, the path of a file holding it',
        'routes[0].smartHost.oauth2.refreshToken: not allowed: no secret is written in this file; set refreshTokenFile, the path of a file holding it',
        'routes[0].smartHost.hots: unknown key; the keys here are host, port, tls, user, passwordFile, authMethods, provider, region, oauth2, rate, recipientRate, cooldown, caFile, tlsVerify',
        'routes[0].smartHost.password: not allowed: no secret is written in this file; set passwordFile, the path of a file holding it',
        'routes[0].dkim: unknown key; the keys here are name, match, smartHost, rewriteFrom, dkimKeysDir',
      ],
    ],
    [
      'an empty oauth2 block',
      `routes:\n${ROUTE}    smartHost: {host: a.example, oauth2: {}}\n`,
      [
        'routes[0].smartHost.oauth2: is empty: set clientId and a grant (clientSecretFile, refreshTokenFile or serviceAccountFile), or leave oauth2 out',
      ],
    ],
    [
      "values the variables' parsers refuse",
      `routes:\n${ROUTE}    smartHost: {host: 'a.example:99999', port: 70000, tls: ssl, rate: 30 per minute, cooldown: 11m, provider: exchange, authMethods: [PLAIN, NTLM]}\n    rewriteFrom: Relay <relay@example.com>\n`,
      [
        'routes[0].smartHost.host: entry "a.example:99999": must be a port number 1-65535, got "99999"',
        'routes[0].smartHost.port: must be a port number 1-65535, got "70000"',
        'routes[0].smartHost.tls: must be one of implicit, starttls, none, got "ssl"',
        'routes[0].smartHost.authMethods: entries must be one of PLAIN, LOGIN, CRAM-MD5, XOAUTH2, got "NTLM"',
        'routes[0].smartHost.provider: must be one of m365, gmail, google-relay, ses, sendgrid, mailgun, postmark, got "exchange"',
        'routes[0].smartHost.cooldown: must be at most 10m (the longest cool-down), got "11m"',
        'routes[0].smartHost.rate: must be <count>/<duration> such as 30/1m or 10000/1d, or off, got "30 per minute"',
        'routes[0].rewriteFrom: must be a mail address such as postmaster@example.com (no display name), got "Relay <relay@example.com>"',
      ],
    ],
    [
      'files that cannot be read',
      `routes:\n${ROUTE}    smartHost: {host: a.example, user: u, passwordFile: ${temp.missing('nope')}, caFile: ${ispPassword}}\n    dkimKeysDir: ${ispPassword}\n`,
      [
        `routes[0].smartHost.passwordFile: must be a readable file, but "${temp.missing('nope')}" does not exist`,
        `routes[0].smartHost.caFile: must hold a PEM certificate ("-----BEGIN CERTIFICATE-----"), but "${ispPassword}" does not`,
        `routes[0].dkimKeysDir: must be a readable directory, but "${ispPassword}" is not a directory`,
      ],
    ],
    [
      'no host and no provider',
      `routes:\n${ROUTE}    smartHost: {user: u, passwordFile: ${ispPassword}}\n`,
      ['routes[0].smartHost.host: required (or set provider)'],
    ],
    [
      'a user without a password',
      `routes:\n${ROUTE}    smartHost: {host: a.example, user: u}\n`,
      ['routes[0].smartHost.passwordFile: required when user is set (or use OAuth2)'],
    ],
    [
      'a preset without its region',
      `routes:\n${ROUTE}    smartHost: {provider: ses, user: u, passwordFile: ${ispPassword}}\n`,
      [
        'routes[0].smartHost.region: required with provider=ses (such as eu-west-1): its SMTP credentials belong to one region',
      ],
    ],
    [
      'OAuth2 rules',
      `routes:\n${ROUTE}    smartHost: {host: a.example, tls: none, passwordFile: ${ispPassword}, authMethods: PLAIN, oauth2: {provider: microsoft}}\n`,
      [
        'routes[0].smartHost.authMethods: has no effect without user and passwordFile (or OAuth2)',
        'routes[0].smartHost.tls: none would send the OAuth2 access token in clear text: use starttls or implicit with OAuth2',
        'routes[0].smartHost.user: required with OAuth2: the mailbox to send as',
        'routes[0].smartHost.passwordFile: cannot be combined with OAuth2 (the oauth2 block); set one of them',
        'routes[0].smartHost.oauth2.clientId: required with OAuth2: the application (client) id',
        'routes[0].smartHost.oauth2.clientSecretFile: required for the app-only (client credentials) grant; for a delegated grant set oauth2.refreshTokenFile instead',
        'routes[0].smartHost.oauth2.tenant: must name your tenant (its id or a domain such as example.onmicrosoft.com) for the app-only grant; "organizations" works only for delegated sign-in',
        'routes[0].smartHost.authMethods: must include XOAUTH2 when OAuth2 is configured (the oauth2 block)',
      ],
    ],
    [
      'problems of several routes at once',
      `routes:\n  - name: a\n    match: {users: [u]}\n    smartHost: {host: a.example, port: x}\n  - name: b\n    match: {users: [u]}\n    smartHost: {host: 'b.example,b.example:587'}\n`,
      [
        'routes[0].smartHost.port: expected a number, got "x"',
        'routes[1].smartHost.host: lists b.example:587 twice',
      ],
    ],
  ];
  for (const [title, text, problems] of PROBLEMS) {
    it(`refuses ${title}`, () => {
      const path = routesFile(text);
      const actual = problemsOf(() =>
        loadSenderConfig({ SMART_HOST: 'smtp.example.com', SMART_HOST_ROUTES_FILE: path }, HOST),
      );
      assert.deepEqual(
        actual,
        problems.map((problem) => `SMART_HOST_ROUTES_FILE: ${problem}`),
      );
    });
  }

  it('reports the variables and the file together', () => {
    const path = routesFile(`routes:\n${ROUTE}    smartHost: {host: a.example, port: x}\n`);
    assert.deepEqual(
      problemsOf(() =>
        loadSenderConfig(
          { SMART_HOST: 'smtp.example.com', SMART_HOST_PORT: 'x', SMART_HOST_ROUTES_FILE: path },
          HOST,
        ),
      ),
      [
        'SMART_HOST_PORT: must be a port number 1-65535, got "x"',
        'SMART_HOST_ROUTES_FILE: routes[0].smartHost.port: expected a number, got "x"',
      ],
    );
  });

  it('names a file that cannot be read once', () => {
    const path = temp.missing('routes.yaml');
    assert.deepEqual(
      problemsOf(() =>
        loadSenderConfig({ SMART_HOST: 'smtp.example.com', SMART_HOST_ROUTES_FILE: path }, HOST),
      ),
      [`SMART_HOST_ROUTES_FILE: must be a readable file, but "${path}" does not exist`],
    );
  });

  it('config --json shows the hosts, limits and routes, secrets redacted', () => {
    const path = routesFile(SPEC_EXAMPLE);
    const config = loadSenderConfig(
      {
        SMART_HOST: 'primary.example:587,backup.example:465',
        SMART_HOST_RATE: '30/1m',
        SMART_HOST_ROUTES_FILE: path,
      },
      HOST,
    );
    const text = formatConfigJson(config);
    for (const secret of ['sales-secret', 'isp-password'])
      assert.ok(!text.includes(secret), secret);
    const json = JSON.parse(text) as {
      smartHost: Record<string, unknown>;
      routes: { name: string; smartHost: Record<string, unknown> & { oauth2: unknown } }[];
    };
    assert.deepEqual(json.smartHost['hosts'], [
      { host: 'primary.example', port: 587, tls: 'starttls' },
      { host: 'backup.example', port: 465, tls: 'implicit' },
    ]);
    assert.deepEqual(json.smartHost['rate'], { count: 30, perMs: 60_000 });
    assert.equal(json.smartHost['recipientRate'], null);
    assert.equal(json.smartHost['cooldownMs'], 30_000);
    assert.deepEqual(
      json.routes.map((route) => route.name),
      ['sales', 'isp'],
    );
    assert.equal(json.routes[1]?.smartHost['password'], '<redacted>');
    assert.deepEqual(json.routes[0]?.smartHost.oauth2, {
      provider: 'microsoft',
      tenant: 'example.com',
      tokenUrl: 'https://login.microsoftonline.com/example.com/oauth2/v2.0/token',
      clientId: '0f1e...',
      scope: 'https://outlook.office365.com/.default',
      grant: { kind: 'client-credentials', clientSecret: '<redacted>' },
    });
    assert.match(formatConfig(config), new RegExp(`^SMART_HOST_ROUTES_FILE=${path}$`, 'm'));
  });

  it("warns about a route's smart host as about the variables", () => {
    const path = routesFile(
      `routes:\n${ROUTE}    smartHost: {host: a.example, tls: none, user: u, passwordFile: ${ispPassword}}\n`,
    );
    const env = { SMART_HOST: 'smtp.example.com', SMART_HOST_ROUTES_FILE: path };
    assert.deepEqual(findConfigWarnings(env, loadSenderConfig(env, HOST)), [
      'SMART_HOST_ROUTES_FILE: routes[0].smartHost.tls: none, so passwordFile is sent unencrypted',
    ]);
  });

  it('loadRoutesFile throws every problem of the file', () => {
    const path = routesFile(`routes:\n${ROUTE}    smartHost: {host: a.example, port: x}\n`);
    assert.deepEqual(
      problemsOf(() => loadRoutesFile(path)),
      ['SMART_HOST_ROUTES_FILE: routes[0].smartHost.port: expected a number, got "x"'],
    );
  });
});
