import {
  InvalidValueError,
  readServiceAccountKey,
  type OAuth2Config,
  type ServiceAccountKey,
} from '@smtp-relay/config';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { OAuth2Error } from './oauth2-error.ts';

// The token request of each grant docs/reference.md names (form fields of RFC 6749 section 4.4
// and 6, RFC 7523 for the JWT bearer grant as Google uses it).

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** Google accepts assertions valid for at most one hour. */
const ASSERTION_LIFETIME_S = 3600;

export interface TokenRequestInput {
  readonly config: OAuth2Config;
  /** the mailbox (SMART_HOST_USER): `sub` of a service-account assertion */
  readonly user: string;
  /** the refresh token to use now: a rotated one from Redis, else the configured one */
  readonly refreshToken: string | undefined;
  readonly nowMs: number;
}

export async function buildTokenRequest(input: TokenRequestInput): Promise<Record<string, string>> {
  const { config } = input;
  const scope = config.scope === undefined ? {} : { scope: config.scope };
  const clientId = config.clientId === undefined ? {} : { client_id: config.clientId };
  const { grant } = config;
  switch (grant.kind) {
    case 'client-credentials':
      return {
        grant_type: 'client_credentials',
        ...clientId,
        client_secret: grant.clientSecret,
        ...scope,
      };
    case 'refresh-token':
      return {
        grant_type: 'refresh_token',
        ...clientId,
        ...(grant.clientSecret === undefined ? {} : { client_secret: grant.clientSecret }),
        refresh_token: input.refreshToken ?? grant.refreshToken,
        ...scope,
      };
    case 'service-account':
      return {
        grant_type: JWT_BEARER_GRANT,
        assertion: await signServiceAccountAssertion(input, grant.keyFile),
      };
  }
}

/**
 * Google's two-legged OAuth: a JWT signed RS256 with the service account's key,
 * `sub` = the Workspace user whose mailbox is used (domain-wide delegation).
 * jose does the signing: no hand-written JWS.
 */
async function signServiceAccountAssertion(
  input: TokenRequestInput,
  keyFile: string,
): Promise<string> {
  // Read at each use (about once an hour): a rotated key file is picked up without restart.
  let key: ServiceAccountKey;
  try {
    key = readServiceAccountKey(keyFile);
  } catch (error) {
    const reason = error instanceof InvalidValueError ? error.reasons.join('; ') : String(error);
    throw new OAuth2Error('invalid_client', `SMART_HOST_OAUTH2_SERVICE_ACCOUNT_FILE: ${reason}`);
  }
  const issuedAt = Math.floor(input.nowMs / 1000);
  try {
    // A KeyObject takes PKCS#8 and PKCS#1 ("BEGIN RSA PRIVATE KEY") alike.
    return await signAssertion(input, key, createPrivateKey(key.privateKey), issuedAt);
  } catch (error) {
    throw new OAuth2Error(
      'invalid_client',
      `SMART_HOST_OAUTH2_SERVICE_ACCOUNT_FILE: its key cannot sign an RS256 assertion (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}

async function signAssertion(
  input: TokenRequestInput,
  key: ServiceAccountKey,
  privateKey: KeyObject,
  issuedAt: number,
): Promise<string> {
  // Loaded for a service account only: no other configuration needs jose.
  const { SignJWT } = await import('jose');
  return new SignJWT({ scope: input.config.scope ?? 'https://mail.google.com/' })
    .setProtectedHeader({
      alg: 'RS256',
      typ: 'JWT',
      ...(key.privateKeyId ? { kid: key.privateKeyId } : {}),
    })
    .setIssuer(key.clientEmail)
    .setSubject(input.user)
    .setAudience(input.config.tokenUrl)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + ASSERTION_LIFETIME_S)
    .sign(privateKey);
}
