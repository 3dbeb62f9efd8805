import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  generateCertificates,
  startFakeOAuth2Server,
  waitFor,
  type FakeOAuth2Server,
  type GeneratedCertificates,
} from '@smtp-relay/testkit';
import { Redis } from 'ioredis';
import { REPOSITORY_ROOT } from './harness/compose-services.ts';
import { NODE_PROCESS_ENV } from './harness/node-env.ts';
import { useTestRedis, type TestRedis } from './harness/test-redis.ts';

// `npx smtp-relay oauth2 login|check` as processes against a real OAuth2 server
// over HTTPS (the fake of testkit), trusted through SMART_HOST_CA_FILE. The test
// plays the operator: it reads the CLI's instructions and signs in.

const MAILBOX = 'printer@example.com';
const PUBLIC_APP = { clientId: 'relay-public' } as const;
const APP = { clientId: 'relay-app', clientSecret: 'app-secret-value-123' } as const;
const CONFIGURED_REFRESH_TOKEN = 'configured-refresh-token-0001';
const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const SMTP_SEND = 'https://outlook.office.com/SMTP.Send offline_access';
/** An access or refresh token of the fake: 43+ base64url characters. */
const TOKEN_LIKE = /[A-Za-z0-9_-]{40,}/;

interface CliProcess {
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
}

function startCli(args: readonly string[], env: Record<string, string>): CliProcess {
  const child = spawn(process.execPath, ['services/cli/src/main.ts', ...args], {
    cwd: REPOSITORY_ROOT,
    env: { ...NODE_PROCESS_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => {
    child.on('close', (code) => {
      resolve(code);
    });
  });
  return { stdout: () => stdout, stderr: () => stderr, exited };
}

async function runCli(args: readonly string[], env: Record<string, string>) {
  const cli = startCli(args, env);
  const code = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}

/** GET over HTTPS trusting the test CA; the 302 of the authorization endpoint is not followed. */
function getRedirect(url: string, ca: string): Promise<{ status: number; location: string }> {
  return new Promise((resolve, reject) => {
    get(url, { ca }, (response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0, location: response.headers.location ?? '' });
    }).on('error', reject);
  });
}

describe('npx smtp-relay oauth2', () => {
  let certs: GeneratedCertificates;
  let oauth: FakeOAuth2Server;
  let redis: TestRedis;
  let dir: string;
  const prefixes: string[] = [];
  let prefixCount = 0;

  before(async () => {
    [certs, redis, dir] = await Promise.all([
      generateCertificates(),
      useTestRedis(),
      mkdtemp(join(tmpdir(), 'smtp-relay-cli-oauth2-')),
    ]);
    oauth = await startFakeOAuth2Server({
      certificate: { key: certs.key, cert: certs.cert },
      clients: [PUBLIC_APP, APP],
      refreshTokens: [
        {
          token: CONFIGURED_REFRESH_TOKEN,
          clientId: PUBLIC_APP.clientId,
          user: MAILBOX,
          scope: SMTP_SEND,
        },
      ],
      authorizeAs: MAILBOX,
    });
  });

  after(async () => {
    const client = new Redis(redis.url);
    for (const prefix of prefixes) {
      const keys = await client.keys(`${prefix}:*`);
      if (keys.length > 0) await client.del(...keys);
    }
    client.disconnect();
    await oauth.close();
    await Promise.all([
      certs.cleanup(),
      redis.cleanup(),
      rm(dir, { recursive: true, force: true }),
    ]);
  });

  /** Sender variables (OAuth2 when `variables` has a grant), with a queue prefix of its own. */
  function senderEnv(variables: Record<string, string>): Record<string, string> {
    const prefix = `cli-oauth2-${String(process.pid)}-${String(++prefixCount)}`;
    prefixes.push(prefix);
    return {
      REDIS_URL: redis.url,
      QUEUE_PREFIX: prefix,
      SMTP_HOSTNAME: 'relay.example.com',
      SMART_HOST_PROVIDER: 'm365',
      SMART_HOST_USER: MAILBOX,
      SMART_HOST_CA_FILE: certs.caFile,
      ...variables,
    };
  }

  const tokenUrl = (): Record<string, string> => ({ SMART_HOST_OAUTH2_TOKEN_URL: oauth.tokenUrl });

  const microsoftLogin = (): Record<string, string> => ({
    SMART_HOST_PROVIDER: 'm365',
    SMART_HOST_OAUTH2_CLIENT_ID: PUBLIC_APP.clientId,
    SMART_HOST_OAUTH2_TOKEN_URL: oauth.tokenUrl,
    SMART_HOST_CA_FILE: certs.caFile,
  });

  /** Runs a device code login and approves its code the way the operator would. */
  async function deviceCodeLogin(args: readonly string[] = []) {
    const requestsBefore = oauth.tokenRequests.length;
    const cli = startCli(['oauth2', 'login', ...args], microsoftLogin());
    const userCode = await waitFor(
      () => /enter the code ([A-Z]{4}-[A-Z]{4})/.exec(cli.stderr())?.[1],
      { description: 'the user code on stderr', timeoutMs: 15_000 },
    );
    assert.match(cli.stderr(), new RegExp(`${oauth.url}/devicelogin`));
    // The operator is slower than the first poll: sign in once the CLI is waiting.
    await waitFor(
      () =>
        oauth.tokenRequests
          .slice(requestsBefore)
          .some((r) => r.grantType === DEVICE_CODE_GRANT && r.outcome === 'authorization_pending'),
      { description: 'a poll answered authorization_pending', timeoutMs: 15_000 },
    );
    oauth.approveDevice(userCode, MAILBOX);
    const code = await cli.exited;
    return { code, stdout: cli.stdout(), stderr: cli.stderr() };
  }

  it('login (Microsoft, device code) prints a refresh token the endpoint honours', async () => {
    const result = await deviceCodeLogin();
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 1, 'stdout carries the token alone');
    const token = lines[0] ?? '';
    assert.ok(oauth.currentRefreshTokens().includes(token));
    assert.doesNotMatch(result.stderr, new RegExp(token));
    assert.match(result.stderr, /SMART_HOST_OAUTH2_REFRESH_TOKEN_FILE/);
    const polls = oauth.tokenRequests.filter((r) => r.grantType === DEVICE_CODE_GRANT);
    assert.equal(polls.at(-1)?.outcome, 'issued');
    assert.ok(!polls.some((r) => r.outcome === 'slow_down'), 'polls honour the interval');
  });

  it('login --output writes the token to a file only its owner can read', async () => {
    const file = join(dir, 'refresh-token');
    // A file left from an earlier login, with a wider mode: replaced and narrowed.
    await writeFile(file, 'old token\n', { mode: 0o644 });
    const result = await deviceCodeLogin(['--output', file]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '');
    const token = (await readFile(file, 'utf8')).trimEnd();
    assert.ok(oauth.currentRefreshTokens().includes(token));
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.match(result.stderr, new RegExp(`in ${file}`));
  });

  /** A Google login whose authorization URL the test reads from stderr. */
  async function startGoogleLogin() {
    const cli = startCli(['oauth2', 'login', '--authorization-url', oauth.authorizationUrl], {
      SMART_HOST_PROVIDER: 'gmail',
      SMART_HOST_USER: MAILBOX,
      SMART_HOST_OAUTH2_CLIENT_ID: APP.clientId,
      SMART_HOST_OAUTH2_CLIENT_SECRET: APP.clientSecret,
      SMART_HOST_OAUTH2_TOKEN_URL: oauth.tokenUrl,
      SMART_HOST_CA_FILE: certs.caFile,
    });
    const authorizationUrl = await waitFor(
      () => /^\s+(https:\/\/\S+\/authorize\?\S+)$/m.exec(cli.stderr())?.[1],
      { description: 'the authorization URL on stderr', timeoutMs: 15_000 },
    );
    return { cli, authorizationUrl: new URL(authorizationUrl) };
  }

  it('login (Google, loopback redirect with PKCE) prints a refresh token', async () => {
    const { cli, authorizationUrl } = await startGoogleLogin();
    const query = authorizationUrl.searchParams;
    assert.equal(query.get('code_challenge_method'), 'S256');
    assert.equal(query.get('access_type'), 'offline');
    assert.equal(query.get('scope'), 'https://mail.google.com/');
    assert.equal(query.get('login_hint'), MAILBOX);
    const redirectUri = query.get('redirect_uri') ?? '';
    assert.match(redirectUri, /^http:\/\/127\.0\.0\.1:\d+\/$/);

    // Another page's answer (wrong state) is refused and does not end the login.
    const forged = await fetch(`${redirectUri}?code=forged&state=forged`);
    assert.equal(forged.status, 400);

    const consent = await getRedirect(authorizationUrl.href, certs.caCert);
    assert.equal(consent.status, 302);
    assert.ok(consent.location.startsWith(redirectUri), consent.location);
    const landing = await fetch(consent.location);
    assert.equal(landing.status, 200);
    assert.match(await landing.text(), /You can close this window/);

    assert.equal(await cli.exited, 0, cli.stderr());
    const token = cli.stdout().trimEnd();
    assert.ok(oauth.currentRefreshTokens().includes(token));
    const exchange = oauth.tokenRequests.filter((r) => r.grantType === 'authorization_code');
    assert.deepEqual(
      exchange.map((r) => r.outcome),
      ['issued'],
    );
  });

  it('login (Google) fails with advice when consent is declined', async () => {
    const { cli, authorizationUrl } = await startGoogleLogin();
    const redirect = new URL(authorizationUrl.searchParams.get('redirect_uri') ?? '');
    redirect.searchParams.set('error', 'access_denied');
    redirect.searchParams.set('state', authorizationUrl.searchParams.get('state') ?? '');
    assert.equal((await fetch(redirect)).status, 200);
    assert.equal(await cli.exited, 1);
    assert.match(cli.stderr(), /oauth2 login failed: the sign-in failed: access_denied/);
    assert.match(cli.stderr(), /What to do: /);
    assert.equal(cli.stdout(), '');
  });

  it('login refuses a generic provider', async () => {
    const result = await runCli(['oauth2', 'login'], {
      SMART_HOST_OAUTH2_CLIENT_ID: PUBLIC_APP.clientId,
      SMART_HOST_OAUTH2_TOKEN_URL: oauth.tokenUrl,
    });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /SMART_HOST_OAUTH2_PROVIDER: .*microsoft .*google/);
  });

  it('check (refresh token) prints scope and expiry, never a token', async () => {
    const result = await runCli(
      ['oauth2', 'check'],
      senderEnv({
        ...tokenUrl(),
        SMART_HOST_OAUTH2_CLIENT_ID: PUBLIC_APP.clientId,
        SMART_HOST_OAUTH2_REFRESH_TOKEN: CONFIGURED_REFRESH_TOKEN,
      }),
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /grant: +refresh-token/);
    assert.match(result.stdout, /provider: +microsoft/);
    assert.match(result.stdout, /token endpoint: +127\.0\.0\.1:\d+/);
    assert.match(result.stdout, /scope: +https:\/\/outlook\.office\.com\/SMTP\.Send/);
    assert.match(
      result.stdout,
      /expires: +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \(in 60 minutes\)/,
    );
    assert.match(result.stdout, /shared state: +used/);
    assert.doesNotMatch(result.stdout + result.stderr, TOKEN_LIKE);
    assert.doesNotMatch(result.stdout + result.stderr, new RegExp(CONFIGURED_REFRESH_TOKEN));
  });

  it('check names the endpoint error and what to do on invalid_grant', async () => {
    oauth.failNext({
      error: 'invalid_grant',
      error_description:
        'AADSTS70008: The provided authorization code or refresh token has expired due to inactivity.',
    });
    const result = await runCli(
      ['oauth2', 'check'],
      senderEnv({
        ...tokenUrl(),
        SMART_HOST_OAUTH2_CLIENT_ID: PUBLIC_APP.clientId,
        SMART_HOST_OAUTH2_REFRESH_TOKEN: CONFIGURED_REFRESH_TOKEN,
      }),
    );
    assert.equal(result.code, 1);
    assert.match(result.stderr, /invalid_grant: AADSTS70008: The provided authorization code/);
    assert.match(result.stderr, /npx smtp-relay oauth2 login/);
    assert.doesNotMatch(result.stdout + result.stderr, new RegExp(CONFIGURED_REFRESH_TOKEN));
  });

  it('check --json (client credentials) reports the app-only token', async () => {
    const result = await runCli(
      ['oauth2', 'check', '--json'],
      senderEnv({
        ...tokenUrl(),
        SMART_HOST_OAUTH2_TENANT: 'example.onmicrosoft.com',
        SMART_HOST_OAUTH2_CLIENT_ID: APP.clientId,
        SMART_HOST_OAUTH2_CLIENT_SECRET: APP.clientSecret,
      }),
    );
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as Record<string, unknown>;
    assert.deepEqual(
      { ...report, expiresAt: typeof report['expiresAt'] },
      {
        ok: true,
        grant: 'client-credentials',
        provider: 'microsoft',
        tokenEndpoint: new URL(oauth.tokenUrl).host,
        mailbox: MAILBOX,
        scope: 'https://outlook.office365.com/.default',
        expiresAt: 'string',
        expiresInMinutes: 60,
        sharedState: true,
        redis: redis.url,
      },
    );
    assert.doesNotMatch(result.stdout + result.stderr, new RegExp(APP.clientSecret));
    assert.doesNotMatch(result.stdout + result.stderr, TOKEN_LIKE);
  });

  it('check exits 1 with one clear line when OAuth2 is not configured', async () => {
    // Basic AUTH at Microsoft 365, as before the switch to OAuth2.
    const result = await runCli(['oauth2', 'check'], senderEnv({ SMART_HOST_PASSWORD: 'pw-1234' }));
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^oauth2 check failed: OAuth2 is not configured/m);
    assert.doesNotMatch(result.stdout + result.stderr, /pw-1234/);
  });
});
