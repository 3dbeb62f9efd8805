// Shared by the fake OAuth2 server tests: registered clients, a service account key and
// servers that are all closed at the end.
import { generateKeyPairSync } from 'node:crypto';
import {
  generateCertificates,
  startFakeOAuth2Server,
  type FakeOAuth2Server,
  type FakeOAuth2ServerOptions,
  type GeneratedCertificates,
} from '../src/index.ts';

/** The secret has characters Basic auth must form-encode. */
export const APP = { clientId: 'app', clientSecret: 'app secret+/=' };
export const PUBLIC_APP = { clientId: 'public-app' };
/** The same clients as token request form fields. */
export const APP_FIELDS = { client_id: APP.clientId, client_secret: APP.clientSecret };
export const PUBLIC_FIELDS = { client_id: PUBLIC_APP.clientId };
export const MAILBOX = 'mailbox@example.com';
export const SMTP_SCOPE = 'https://outlook.office.com/SMTP.Send offline_access';
export const APP_ONLY_SCOPE = 'https://outlook.office365.com/.default';
export const SERVICE_ACCOUNT = 'relay@project.iam.gserviceaccount.com';
export const GOOGLE_SCOPE = 'https://mail.google.com/';
export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
export const DEVICE_CODE = 'urn:ietf:params:oauth:grant-type:device_code';

export function rsaKeyPair(): { publicKey: string; privateKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

export interface OAuth2Fixture {
  certs: GeneratedCertificates;
  serviceKey: { publicKey: string; privateKey: string };
  /** A server with APP, PUBLIC_APP, the service account and refresh tokens rt-app, rt-public. */
  start(options?: Partial<FakeOAuth2ServerOptions>): Promise<FakeOAuth2Server>;
  close(): Promise<void>;
}

export async function createOAuth2Fixture(): Promise<OAuth2Fixture> {
  const certs = await generateCertificates();
  const serviceKey = rsaKeyPair();
  const servers: FakeOAuth2Server[] = [];
  return {
    certs,
    serviceKey,
    async start(options = {}) {
      const server = await startFakeOAuth2Server({
        certificate: certs,
        clients: [APP, PUBLIC_APP],
        serviceAccounts: [{ clientEmail: SERVICE_ACCOUNT, publicKeyPem: serviceKey.publicKey }],
        refreshTokens: [
          { token: 'rt-app', clientId: APP.clientId, user: MAILBOX, scope: SMTP_SCOPE },
          { token: 'rt-public', clientId: PUBLIC_APP.clientId, user: MAILBOX, scope: SMTP_SCOPE },
        ],
        ...options,
      });
      servers.push(server);
      return server;
    },
    async close() {
      await Promise.all(servers.map((server) => server.close()));
      await certs.cleanup();
    },
  };
}

/** Drops fields set to '' so a table row can remove a field of the default form. */
export function form(
  defaults: Record<string, string>,
  change: Record<string, string>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries({ ...defaults, ...change }).filter(([, value]) => value !== ''),
  );
}
