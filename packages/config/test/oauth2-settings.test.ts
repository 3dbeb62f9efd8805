import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, describe, it } from 'node:test';
import {
  ConfigError,
  findConfigWarnings,
  loadSenderConfig,
  type Environment,
  type OAuth2Config,
} from '../src/index.ts';
import { createTempDir } from './temp-files.ts';

const HOST = { hostname: 'relay.example.com' };
const MAILBOX = { SMART_HOST: 'smtp.office365.com', SMART_HOST_USER: 'box@example.com' };

const temp = createTempDir();
after(() => {
  temp.remove();
});
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const serviceAccountFile = temp.file(
  'sa.json',
  JSON.stringify({
    type: 'service_account',
    client_email: 'relay@project.iam.gserviceaccount.com',
    private_key: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    private_key_id: 'k1',
    token_uri: 'https://oauth2.googleapis.com/token',
  }),
);
const notServiceAccount = temp.file('other.json', JSON.stringify({ type: 'authorized_user' }));
const notJson = temp.file('not.json', 'hello');

function oauth2Of(env: Environment): OAuth2Config | undefined {
  return loadSenderConfig({ ...MAILBOX, ...env }, HOST).smartHost.oauth2;
}

function problemsOf(env: Environment): readonly string[] {
  try {
    loadSenderConfig({ ...MAILBOX, ...env }, HOST);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return assert.fail('expected a ConfigError');
}

describe('OAuth2 grants (documented order: refresh token, else service account, else client credentials)', () => {
  it('is off without SMART_HOST_OAUTH2_* variables', () => {
    assert.equal(oauth2Of({ SMART_HOST_PASSWORD: 'pw' }), undefined);
  });

  it('Microsoft app-only: client credentials, tenant in the token URL, .default scope', () => {
    assert.deepEqual(
      oauth2Of({
        SMART_HOST_OAUTH2_PROVIDER: 'microsoft',
        SMART_HOST_OAUTH2_TENANT: 'contoso.onmicrosoft.com',
        SMART_HOST_OAUTH2_CLIENT_ID: 'app',
        SMART_HOST_OAUTH2_CLIENT_SECRET: 'secret',
      }),
      {
        provider: 'microsoft',
        tenant: 'contoso.onmicrosoft.com',
        tokenUrl: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token',
        clientId: 'app',
        scope: 'https://outlook.office365.com/.default',
        grant: { kind: 'client-credentials', clientSecret: 'secret' },
      },
    );
  });

  it('Microsoft delegated: refresh token, "organizations", SMTP.Send offline_access', () => {
    assert.deepEqual(
      oauth2Of({
        SMART_HOST_OAUTH2_PROVIDER: 'microsoft',
        SMART_HOST_OAUTH2_CLIENT_ID: 'app',
        SMART_HOST_OAUTH2_REFRESH_TOKEN: 'refresh',
      }),
      {
        provider: 'microsoft',
        tenant: 'organizations',
        tokenUrl: 'https://login.microsoftonline.com/organizations/oauth2/v2.0/token',
        clientId: 'app',
        scope: 'https://outlook.office.com/SMTP.Send offline_access',
        grant: { kind: 'refresh-token', refreshToken: 'refresh', clientSecret: undefined },
      },
    );
  });

  it('Google refresh token: Google token URL and mail.google.com scope', () => {
    const oauth2 = oauth2Of({
      SMART_HOST_PROVIDER: 'gmail',
      SMART_HOST: '',
      SMART_HOST_OAUTH2_CLIENT_ID: 'id.apps.googleusercontent.com',
      SMART_HOST_OAUTH2_CLIENT_SECRET: 'secret',
      SMART_HOST_OAUTH2_REFRESH_TOKEN: '1//refresh',
    });
    assert.equal(oauth2?.tokenUrl, 'https://oauth2.googleapis.com/token');
    assert.equal(oauth2.scope, 'https://mail.google.com/');
    assert.deepEqual(oauth2.grant, {
      kind: 'refresh-token',
      refreshToken: '1//refresh',
      clientSecret: 'secret',
    });
  });

  it('Google service account: JWT bearer with the key file; no client id needed', () => {
    const oauth2 = oauth2Of({
      SMART_HOST_OAUTH2_PROVIDER: 'google',
      SMART_HOST_OAUTH2_SERVICE_ACCOUNT_FILE: serviceAccountFile,
    });
    assert.deepEqual(oauth2?.grant, {
      kind: 'service-account',
      keyFile: serviceAccountFile,
      clientEmail: 'relay@project.iam.gserviceaccount.com',
    });
    assert.equal(oauth2.clientId, undefined);
  });

  it('a generic service account takes the token URL from its key file', () => {
    assert.equal(
      oauth2Of({ SMART_HOST_OAUTH2_SERVICE_ACCOUNT_FILE: serviceAccountFile })?.tokenUrl,
      'https://oauth2.googleapis.com/token',
    );
  });

  it('explicit token URL and scope win; http:// is allowed on loopback', () => {
    const oauth2 = oauth2Of({
      SMART_HOST_OAUTH2_PROVIDER: 'microsoft',
      SMART_HOST_OAUTH2_TOKEN_URL: 'http://127.0.0.1:8443/token',
      SMART_HOST_OAUTH2_SCOPE: 'custom',
      SMART_HOST_OAUTH2_CLIENT_ID: 'app',
      SMART_HOST_OAUTH2_REFRESH_TOKEN: 'r',
    });
    assert.equal(oauth2?.tokenUrl, 'http://127.0.0.1:8443/token');
    assert.equal(oauth2.scope, 'custom');
  });

  it('the secrets may come from *_FILE (Docker secrets)', () => {
    const oauth2 = oauth2Of({
      SMART_HOST_OAUTH2_PROVIDER: 'microsoft',
      SMART_HOST_OAUTH2_CLIENT_ID: 'app',
      SMART_HOST_OAUTH2_REFRESH_TOKEN_FILE: temp.file('refresh', 'from-file\n'),
    });
    assert.deepEqual(oauth2?.grant, {
      kind: 'refresh-token',
      refreshToken: 'from-file',
      clientSecret: undefined,
    });
  });
});

const CLIENT = { SMART_HOST_OAUTH2_CLIENT_ID: 'app' };

// Operator mistakes: each one line naming the variable to change.
const PROBLEM_ROWS: readonly (readonly [string, Environment, readonly string[]])[] = [
  [
    'app-only without a secret',
    { SMART_HOST_OAUTH2_PROVIDER: 'microsoft', SMART_HOST_OAUTH2_TENANT: 'example.com', ...CLIENT },
    [
      'SMART_HOST_OAUTH2_CLIENT_SECRET: required for the app-only (client credentials) grant; for a delegated grant set SMART_HOST_OAUTH2_REFRESH_TOKEN instead',
    ],
  ],
  [
    'app-only against "organizations"',
    { SMART_HOST_OAUTH2_PROVIDER: 'microsoft', SMART_HOST_OAUTH2_CLIENT_SECRET: 's', ...CLIENT },
    [
      'SMART_HOST_OAUTH2_TENANT: must name your tenant (its id or a domain such as example.onmicrosoft.com) for the app-only grant; "organizations" works only for delegated sign-in',
    ],
  ],
  [
    'no client id',
    { SMART_HOST_OAUTH2_PROVIDER: 'microsoft', SMART_HOST_OAUTH2_REFRESH_TOKEN: 'r' },
    ['SMART_HOST_OAUTH2_CLIENT_ID: required with OAuth2: the application (client) id'],
  ],
  [
    'generic without a token URL',
    { SMART_HOST_OAUTH2_REFRESH_TOKEN: 'r', ...CLIENT },
    [
      'SMART_HOST_OAUTH2_TOKEN_URL: required with SMART_HOST_OAUTH2_PROVIDER=generic (or set SMART_HOST_OAUTH2_PROVIDER to microsoft or google)',
    ],
  ],
  [
    'Google has no app-only grant',
    { SMART_HOST_OAUTH2_PROVIDER: 'google', SMART_HOST_OAUTH2_CLIENT_SECRET: 's', ...CLIENT },
    [
      'SMART_HOST_OAUTH2_REFRESH_TOKEN: Google has no app-only grant: set SMART_HOST_OAUTH2_REFRESH_TOKEN (npx smtp-relay oauth2 login) or SMART_HOST_OAUTH2_SERVICE_ACCOUNT_FILE',
    ],
  ],
  [
    'password and OAuth2 together',
    {
      SMART_HOST_PASSWORD: 'pw',
      SMART_HOST_OAUTH2_PROVIDER: 'microsoft',
      SMART_HOST_OAUTH2_REFRESH_TOKEN: 'r',
      ...CLIENT,
    },
    [
      'SMART_HOST_PASSWORD: cannot be combined with OAuth2 (SMART_HOST_OAUTH2_* variables); set one of them',
    ],
  ],
  [
    'no mailbox',
    {
      SMART_HOST_USER: '',
      SMART_HOST_OAUTH2_PROVIDER: 'microsoft',
      SMART_HOST_OAUTH2_REFRESH_TOKEN: 'r',
      ...CLIENT,
    },
    ['SMART_HOST_USER: required with OAuth2: the mailbox to send as'],
  ],
  [
    'AUTH methods that exclude XOAUTH2',
    {
      SMART_HOST_AUTH_METHODS: 'PLAIN',
      SMART_HOST_OAUTH2_PROVIDER: 'microsoft',
      SMART_HOST_OAUTH2_REFRESH_TOKEN: 'r',
      ...CLIENT,
    },
    [
      'SMART_HOST_AUTH_METHODS: must include XOAUTH2 when OAuth2 is configured (SMART_HOST_OAUTH2_* variables)',
    ],
  ],
  [
    'XOAUTH2 alone without OAuth2 settings',
    { SMART_HOST_PASSWORD: 'pw', SMART_HOST_AUTH_METHODS: 'XOAUTH2' },
    [
      'SMART_HOST_AUTH_METHODS: XOAUTH2 needs OAuth2 settings (SMART_HOST_OAUTH2_CLIENT_ID and a grant)',
    ],
  ],
  [
    'token URL over plain http to another machine',
    {
      SMART_HOST_OAUTH2_TOKEN_URL: 'http://idp.example.com/token',
      SMART_HOST_OAUTH2_REFRESH_TOKEN: 'r',
      ...CLIENT,
    },
    [
      'SMART_HOST_OAUTH2_TOKEN_URL: must start with https:// (http:// only on a loopback address), got "http://idp.example.com/token"',
    ],
  ],
  [
    'a tenant that cannot be part of a URL',
    { SMART_HOST_OAUTH2_TENANT: 'a/b', SMART_HOST_OAUTH2_REFRESH_TOKEN: 'r', ...CLIENT },
    [
      'SMART_HOST_OAUTH2_TENANT: must be a tenant id (GUID) or domain such as example.onmicrosoft.com, got "a/b"',
    ],
  ],
  [
    'a key file that is not a service account',
    { SMART_HOST_OAUTH2_SERVICE_ACCOUNT_FILE: notServiceAccount },
    [
      `SMART_HOST_OAUTH2_SERVICE_ACCOUNT_FILE: "${notServiceAccount}" is not a service-account key ("type": "service_account")`,
      `SMART_HOST_OAUTH2_SERVICE_ACCOUNT_FILE: "${notServiceAccount}" has no "client_email"`,
      `SMART_HOST_OAUTH2_SERVICE_ACCOUNT_FILE: "${notServiceAccount}" has no "private_key"`,
    ],
  ],
  [
    'a key file that is not JSON',
    { SMART_HOST_OAUTH2_SERVICE_ACCOUNT_FILE: notJson },
    [
      `SMART_HOST_OAUTH2_SERVICE_ACCOUNT_FILE: must be a service-account JSON key, but "${notJson}" is not JSON`,
    ],
  ],
];

const httpTokenUri = temp.file(
  'sa-http.json',
  JSON.stringify({
    type: 'service_account',
    client_email: 'relay@project.iam.gserviceaccount.com',
    private_key: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    token_uri: 'http://idp.example.com/token',
  }),
);

// Each of these once slipped through or hid another problem.
const MORE_PROBLEM_ROWS: readonly (readonly [string, Environment, readonly string[]])[] = [
  [
    'a key file whose token_uri is plain http (the signed assertion would travel in clear)',
    { SMART_HOST_OAUTH2_SERVICE_ACCOUNT_FILE: httpTokenUri },
    [
      'SMART_HOST_OAUTH2_SERVICE_ACCOUNT_FILE: its "token_uri" must start with https:// (http:// only on a loopback address), got "http://idp.example.com/token" (or set SMART_HOST_OAUTH2_TOKEN_URL)',
    ],
  ],
  [
    'a Google service account for Microsoft',
    {
      SMART_HOST_OAUTH2_PROVIDER: 'microsoft',
      SMART_HOST_OAUTH2_SERVICE_ACCOUNT_FILE: serviceAccountFile,
    },
    [
      'SMART_HOST_OAUTH2_SERVICE_ACCOUNT_FILE: is a Google grant (JWT bearer), but SMART_HOST_OAUTH2_PROVIDER is microsoft: use a client secret or a refresh token for Microsoft 365',
    ],
  ],
  [
    'OAuth2 without TLS (the bearer token in clear text)',
    {
      SMART_HOST_TLS: 'none',
      SMART_HOST_OAUTH2_PROVIDER: 'microsoft',
      SMART_HOST_OAUTH2_REFRESH_TOKEN: 'r',
      ...CLIENT,
    },
    [
      'SMART_HOST_TLS: none would send the OAuth2 access token in clear text: use starttls or implicit with OAuth2',
    ],
  ],
  [
    'a bad OAuth2 value hides neither the missing mailbox nor the password beside it',
    {
      SMART_HOST_USER: '',
      SMART_HOST_PASSWORD: 'pw',
      SMART_HOST_OAUTH2_TOKEN_URL: 'http://idp.example.com/token',
      SMART_HOST_OAUTH2_REFRESH_TOKEN: 'r',
      ...CLIENT,
    },
    [
      'SMART_HOST_USER: required with OAuth2: the mailbox to send as',
      'SMART_HOST_PASSWORD: cannot be combined with OAuth2 (SMART_HOST_OAUTH2_* variables); set one of them',
      'SMART_HOST_OAUTH2_TOKEN_URL: must start with https:// (http:// only on a loopback address), got "http://idp.example.com/token"',
    ],
  ],
];

describe('OAuth2 problems', () => {
  for (const [title, env, expected] of MORE_PROBLEM_ROWS) {
    it(title, () => {
      assert.deepEqual(problemsOf(env), expected);
    });
  }

  for (const [title, env, expected] of PROBLEM_ROWS) {
    it(title, () => {
      assert.deepEqual(problemsOf(env), expected);
    });
  }
});

describe('OAuth2 and smart-host warnings', () => {
  it('warns when the HELO name is not a fully qualified domain name (EHLO vm)', () => {
    const env = { SMART_HOST: 'mail.example.com' };
    const config = loadSenderConfig(env, { hostname: 'vm' });
    assert.ok(
      findConfigWarnings(env, config).some((warning) =>
        warning.startsWith('SMTP_HOSTNAME: the relay announces itself as "vm"'),
      ),
    );
    const named = loadSenderConfig(env, HOST);
    assert.deepEqual(findConfigWarnings(env, named), []);
  });

  it('warns that Microsoft 365 stops taking passwords', () => {
    const env = { SMART_HOST_PROVIDER: 'm365', SMART_HOST_USER: 'box', SMART_HOST_PASSWORD: 'pw' };
    const warnings = findConfigWarnings(env, loadSenderConfig(env, HOST));
    assert.ok(warnings.some((warning) => warning.startsWith('SMART_HOST_PASSWORD: Microsoft 365')));
  });
});
