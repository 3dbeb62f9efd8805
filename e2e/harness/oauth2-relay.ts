import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  startFakeOAuth2Server,
  startFakeSmartHost,
  type FakeOAuth2Server,
  type FakeOAuth2ServerOptions,
  type FakeSmartHost,
  type GeneratedCertificates,
} from '@smtp-relay/testkit';
import { Redis } from 'ioredis';

// A Microsoft-365-like world on loopback: an OAuth2 authorization server over
// HTTPS and a smart host that takes only AUTH XOAUTH2 with tokens that server
// issued (and still considers valid), both with certificates of one throwaway CA.

export const MAILBOX = 'printer@example.com';
export const APP = { clientId: 'relay-app', clientSecret: 'app-secret-value-123' } as const;
const PUBLIC_APP = { clientId: 'relay-public' } as const;
const SERVICE_ACCOUNT_EMAIL = 'relay@project.iam.gserviceaccount.com';
export const CONFIGURED_REFRESH_TOKEN = 'configured-refresh-token-0001';

export interface OAuth2World {
  readonly oauth: FakeOAuth2Server;
  readonly smartHost: FakeSmartHost;
  /** Path of a service-account JSON key the OAuth2 server knows. */
  readonly serviceAccountFile: string;
  close(): Promise<void>;
}

export async function startOAuth2World(
  certs: GeneratedCertificates,
  options: Partial<FakeOAuth2ServerOptions> = {},
): Promise<OAuth2World> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const serviceAccountFile = join(
    certs.dir,
    `sa-${String(Date.now())}-${String(Math.random()).slice(2)}.json`,
  );
  await writeFile(
    serviceAccountFile,
    JSON.stringify({
      type: 'service_account',
      client_email: SERVICE_ACCOUNT_EMAIL,
      private_key: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      private_key_id: 'test-key',
    }),
  );
  const oauth = await startFakeOAuth2Server({
    certificate: { key: certs.key, cert: certs.cert },
    clients: [APP, PUBLIC_APP],
    serviceAccounts: [
      {
        clientEmail: SERVICE_ACCOUNT_EMAIL,
        publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      },
    ],
    refreshTokens: [
      {
        token: CONFIGURED_REFRESH_TOKEN,
        clientId: PUBLIC_APP.clientId,
        user: MAILBOX,
        scope: 'https://outlook.office.com/SMTP.Send offline_access',
      },
    ],
    ...options,
  });
  const smartHost = await startFakeSmartHost({
    tls: 'starttls',
    certificate: { key: certs.key, cert: certs.cert },
    auth: {
      username: 'unused',
      password: 'unused',
      methods: ['LOGIN', 'XOAUTH2'],
      xoauth2: (user, token) => oauth.validateAccessToken(user, token),
    },
  });
  return {
    oauth,
    smartHost,
    serviceAccountFile,
    async close() {
      await smartHost.close();
      await oauth.close();
    },
  };
}

/** The sender variables of each documented grant against the world above. */
export function grantVariables(
  world: OAuth2World,
  certs: GeneratedCertificates,
  grant: 'client-credentials' | 'refresh-token' | 'service-account',
): Record<string, string> {
  const common = {
    SMART_HOST_CA_FILE: certs.caFile,
    SMART_HOST_USER: MAILBOX,
    SMART_HOST_OAUTH2_TOKEN_URL: world.oauth.tokenUrl,
  };
  switch (grant) {
    case 'client-credentials':
      return {
        ...common,
        SMART_HOST_OAUTH2_PROVIDER: 'microsoft',
        SMART_HOST_OAUTH2_TENANT: 'example.onmicrosoft.com',
        SMART_HOST_OAUTH2_CLIENT_ID: APP.clientId,
        SMART_HOST_OAUTH2_CLIENT_SECRET: APP.clientSecret,
      };
    case 'refresh-token':
      return {
        ...common,
        SMART_HOST_OAUTH2_PROVIDER: 'microsoft',
        SMART_HOST_OAUTH2_CLIENT_ID: PUBLIC_APP.clientId,
        SMART_HOST_OAUTH2_REFRESH_TOKEN: CONFIGURED_REFRESH_TOKEN,
      };
    case 'service-account':
      return {
        ...common,
        SMART_HOST_OAUTH2_PROVIDER: 'google',
        SMART_HOST_OAUTH2_SERVICE_ACCOUNT_FILE: world.serviceAccountFile,
      };
  }
}

/** Issued token requests (the endpoint's work), optionally of one grant type. */
export function issuedTokens(oauth: FakeOAuth2Server, grantType?: string): number {
  return oauth.tokenRequests.filter(
    (request) =>
      request.outcome === 'issued' && (grantType === undefined || request.grantType === grantType),
  ).length;
}

/** Whether the senders of `prefix` hold a cached access token in Redis now. */
export async function cachedAccessTokens(redisUrl: string, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl);
  try {
    return (await redis.keys(`${prefix}:oauth2:*:access`)).length;
  } finally {
    redis.disconnect();
  }
}
