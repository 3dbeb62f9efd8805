import { createHash } from 'node:crypto';
import type { OAuth2Config } from '@smtp-relay/config';

/**
 * Which shared token a configuration uses: everything that changes who the token
 * is for or where it comes from. A new client, mailbox, scope or configured
 * refresh token (an operator who logs in again after invalid_grant) starts from a
 * clean slate instead of reusing a token or a rotated refresh token of the old one.
 * Hashed: secrets must not appear in Redis key names.
 */
export function oauth2CredentialId(config: OAuth2Config, user: string): string {
  const { grant } = config;
  const grantIdentity =
    grant.kind === 'refresh-token'
      ? sha256(grant.refreshToken)
      : grant.kind === 'service-account'
        ? grant.clientEmail
        : sha256(grant.clientSecret);
  const parts = [
    config.tokenUrl,
    config.clientId ?? '',
    grant.kind,
    grantIdentity,
    user,
    config.scope ?? '',
  ];
  return sha256(JSON.stringify(parts)).slice(0, 24);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
