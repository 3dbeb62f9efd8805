import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ConfigError,
  findConfigWarnings,
  formatConfigJson,
  loadSenderConfig,
  type Environment,
  type SmartHostConfig,
} from '../src/index.ts';

const HOST = { hostname: 'relay.example.com' };

function smartHostOf(
  env: Environment,
): Pick<SmartHostConfig, 'host' | 'port' | 'tls' | 'provider'> {
  const { host, port, tls, provider } = loadSenderConfig(env, HOST).smartHost;
  return { host, port, tls, provider };
}

function problemsOf(env: Environment): readonly string[] {
  try {
    loadSenderConfig(env, HOST);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return assert.fail('expected a ConfigError');
}

const PASSWORD = { SMART_HOST_USER: 'relay', SMART_HOST_PASSWORD: 'pw' };

// One row per preset and per "explicit variable wins" rule (docs/reference.md "Provider presets").
const PRESET_ROWS: readonly (readonly [
  string,
  Environment,
  SmartHostConfig['host'],
  number,
  string,
])[] = [
  ['m365', { SMART_HOST_PROVIDER: 'm365' }, 'smtp.office365.com', 587, 'starttls'],
  ['gmail', { SMART_HOST_PROVIDER: 'gmail' }, 'smtp.gmail.com', 465, 'implicit'],
  [
    'google-relay',
    { SMART_HOST_PROVIDER: 'google-relay' },
    'smtp-relay.gmail.com',
    587,
    'starttls',
  ],
  [
    'ses with its region',
    { SMART_HOST_PROVIDER: 'ses', SMART_HOST_REGION: 'eu-west-1', ...PASSWORD },
    'email-smtp.eu-west-1.amazonaws.com',
    587,
    'starttls',
  ],
  [
    'sendgrid (user apikey)',
    { SMART_HOST_PROVIDER: 'sendgrid', SMART_HOST_PASSWORD: 'SG.key' },
    'smtp.sendgrid.net',
    587,
    'starttls',
  ],
  [
    'mailgun (us by default)',
    { SMART_HOST_PROVIDER: 'mailgun', ...PASSWORD },
    'smtp.mailgun.org',
    587,
    'starttls',
  ],
  [
    'mailgun eu',
    { SMART_HOST_PROVIDER: 'mailgun', SMART_HOST_REGION: 'EU', ...PASSWORD },
    'smtp.eu.mailgun.org',
    587,
    'starttls',
  ],
  [
    'postmark',
    { SMART_HOST_PROVIDER: 'postmark', ...PASSWORD },
    'smtp.postmarkapp.com',
    587,
    'starttls',
  ],
  [
    'explicit SMART_HOST wins',
    { SMART_HOST_PROVIDER: 'm365', SMART_HOST: 'smtp-legacy.office365.com' },
    'smtp-legacy.office365.com',
    587,
    'starttls',
  ],
  [
    'explicit port takes the port rule (465: implicit)',
    { SMART_HOST_PROVIDER: 'm365', SMART_HOST_PORT: '465' },
    'smtp.office365.com',
    465,
    'implicit',
  ],
  [
    'explicit port takes the port rule (587: starttls)',
    { SMART_HOST_PROVIDER: 'gmail', SMART_HOST_PORT: '587' },
    'smtp.gmail.com',
    587,
    'starttls',
  ],
  [
    'explicit TLS wins',
    { SMART_HOST_PROVIDER: 'gmail', SMART_HOST_PORT: '587', SMART_HOST_TLS: 'implicit' },
    'smtp.gmail.com',
    587,
    'implicit',
  ],
  [
    'no preset: 587 and starttls',
    { SMART_HOST: 'mail.isp.example' },
    'mail.isp.example',
    587,
    'starttls',
  ],
];

describe('SMART_HOST_PROVIDER presets', () => {
  for (const [title, env, host, port, tls] of PRESET_ROWS) {
    it(title, () => {
      const smartHost = smartHostOf(env);
      assert.deepEqual(
        { host: smartHost.host, port: smartHost.port, tls: smartHost.tls },
        { host, port, tls },
      );
    });
  }

  it('SendGrid logs in as "apikey" unless SMART_HOST_USER says otherwise', () => {
    const env = { SMART_HOST_PROVIDER: 'sendgrid', SMART_HOST_PASSWORD: 'SG.key' };
    assert.equal(loadSenderConfig(env, HOST).smartHost.user, 'apikey');
    assert.equal(
      loadSenderConfig({ ...env, SMART_HOST_USER: 'other' }, HOST).smartHost.user,
      'other',
    );
  });

  it('m365 and gmail choose the OAuth2 provider; an explicit one wins', () => {
    const oauth = { SMART_HOST_USER: 'box@example.com', SMART_HOST_OAUTH2_CLIENT_ID: 'id' };
    const m365 = loadSenderConfig(
      {
        SMART_HOST_PROVIDER: 'm365',
        SMART_HOST_OAUTH2_TENANT: 'example.com',
        SMART_HOST_OAUTH2_CLIENT_SECRET: 's',
        ...oauth,
      },
      HOST,
    );
    assert.equal(m365.smartHost.oauth2?.provider, 'microsoft');
    const gmail = loadSenderConfig(
      { SMART_HOST_PROVIDER: 'gmail', SMART_HOST_OAUTH2_REFRESH_TOKEN: 'r', ...oauth },
      HOST,
    );
    assert.equal(gmail.smartHost.oauth2?.provider, 'google');
    const generic = loadSenderConfig(
      {
        SMART_HOST_PROVIDER: 'gmail',
        SMART_HOST_OAUTH2_PROVIDER: 'generic',
        SMART_HOST_OAUTH2_TOKEN_URL: 'https://idp.example.com/token',
        SMART_HOST_OAUTH2_REFRESH_TOKEN: 'r',
        ...oauth,
      },
      HOST,
    );
    assert.equal(generic.smartHost.oauth2?.provider, 'generic');
  });
});

// Mistakes an operator makes with presets: one line naming the variable.
const PROBLEM_ROWS: readonly (readonly [Environment, readonly string[]])[] = [
  [{}, ['SMART_HOST: required (or set SMART_HOST_PROVIDER)']],
  [
    { SMART_HOST_PROVIDER: 'yahoo' },
    [
      'SMART_HOST_PROVIDER: must be one of m365, gmail, google-relay, ses, sendgrid, mailgun, postmark, got "yahoo"',
    ],
  ],
  [
    { SMART_HOST_PROVIDER: 'ses', ...PASSWORD },
    [
      'SMART_HOST_REGION: required with SMART_HOST_PROVIDER=ses (such as eu-west-1): its SMTP credentials belong to one region',
    ],
  ],
  [
    { SMART_HOST_PROVIDER: 'ses', SMART_HOST_REGION: 'europe', ...PASSWORD },
    ['SMART_HOST_REGION: is not a ses region (such as eu-west-1), got "europe"'],
  ],
  [
    { SMART_HOST_PROVIDER: 'mailgun', SMART_HOST_REGION: 'asia', ...PASSWORD },
    ['SMART_HOST_REGION: is not a mailgun region (such as eu), got "asia"'],
  ],
  [
    { SMART_HOST_PROVIDER: 'm365', SMART_HOST_REGION: 'eu' },
    ['SMART_HOST_REGION: only the ses and mailgun presets have regions, not m365'],
  ],
  [
    { SMART_HOST: 'mail.example.com', SMART_HOST_REGION: 'eu' },
    ['SMART_HOST_REGION: has no effect without SMART_HOST_PROVIDER'],
  ],
  [
    { SMART_HOST_PROVIDER: 'postmark', SMART_HOST_PORT: '465', ...PASSWORD },
    ['SMART_HOST_PORT: Postmark offers no implicit TLS; use 587 or 2525 (STARTTLS)'],
  ],
  [
    { SMART_HOST_PROVIDER: 'sendgrid' },
    [
      'SMART_HOST_PASSWORD: required with SMART_HOST_PROVIDER=sendgrid (the API key; the user name is "apikey")',
    ],
  ],
];

describe('preset problems', () => {
  for (const [env, expected] of PROBLEM_ROWS) {
    it(JSON.stringify(env), () => {
      assert.deepEqual(problemsOf(env), expected);
    });
  }
});

// docker-compose.yml sets DEMO_SMART_HOST=mailpit:1025: used only until a real smart host is named.
describe('DEMO_SMART_HOST', () => {
  const DEMO = { DEMO_SMART_HOST: 'mailpit:1025' };
  const rows: readonly (readonly [string, Environment, string, number, string, boolean])[] = [
    ['alone: the capture host in plain text', DEMO, 'mailpit', 1025, 'none', true],
    [
      'SMART_HOST set: documented defaults, not the demo port',
      { ...DEMO, SMART_HOST: 'mail.isp.example' },
      'mail.isp.example',
      587,
      'starttls',
      false,
    ],
    [
      'a preset set: the preset',
      { ...DEMO, SMART_HOST_PROVIDER: 'gmail' },
      'smtp.gmail.com',
      465,
      'implicit',
      false,
    ],
  ];
  for (const [title, env, host, port, tls, demo] of rows) {
    it(title, () => {
      const smartHost = loadSenderConfig(env, HOST).smartHost;
      assert.deepEqual(
        [smartHost.host, smartHost.port, smartHost.tls, smartHost.demo],
        [host, port, tls, demo],
      );
    });
  }
  it('is refused when it is not host:port', () => {
    assert.deepEqual(problemsOf({ DEMO_SMART_HOST: 'mailpit' }), [
      'DEMO_SMART_HOST: must be host:port such as mailpit:1025, got "mailpit"',
    ]);
  });
  it('is announced as a warning while it is used', () => {
    const config = loadSenderConfig(DEMO, HOST);
    assert.ok(
      findConfigWarnings(DEMO, config).some((w) =>
        w.startsWith('DEMO_SMART_HOST: neither SMART_HOST'),
      ),
    );
  });
});

describe('config --json', () => {
  it('puts the smart host under smartHost with host, port, tls, provider and authMethods', () => {
    const json = JSON.parse(
      formatConfigJson(loadSenderConfig({ SMART_HOST_PROVIDER: 'm365', ...PASSWORD }, HOST)),
    ) as { smartHost: Record<string, unknown> };
    assert.equal(json.smartHost['host'], 'smtp.office365.com');
    assert.equal(json.smartHost['port'], 587);
    assert.equal(json.smartHost['tls'], 'starttls');
    assert.equal(json.smartHost['provider'], 'm365');
    assert.equal(json.smartHost['authMethods'], null);
    assert.equal(json.smartHost['password'], '<redacted>');
  });

  it('shows provider null without a preset and redacts OAuth2 secrets', () => {
    const text = formatConfigJson(
      loadSenderConfig(
        {
          SMART_HOST: 'smtp.office365.com',
          SMART_HOST_USER: 'box@example.com',
          SMART_HOST_OAUTH2_PROVIDER: 'microsoft',
          SMART_HOST_OAUTH2_TENANT: 'example.com',
          SMART_HOST_OAUTH2_CLIENT_ID: 'app-id',
          SMART_HOST_OAUTH2_CLIENT_SECRET: 'very-secret-value',
        },
        HOST,
      ),
    );
    const json = JSON.parse(text) as { smartHost: Record<string, unknown> };
    assert.equal(json.smartHost['provider'], null);
    assert.ok(!text.includes('very-secret-value'));
    assert.match(text, /"clientSecret": "<redacted>"/);
  });
});
