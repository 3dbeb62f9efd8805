import { authenticateClient } from './client-auth.ts';
import type { PresentedClient } from './http-io.ts';
import { aadFailure, isFailure, missingParameter, type OAuth2Failure } from './oauth2-failure.ts';
import type { TokenLedger, TokenResponseBody } from './token-ledger.ts';
import type { FakeOAuth2Client } from './types.ts';

/** What every grant gets: the parsed request and the server's state. */
export interface GrantRequest {
  form: URLSearchParams;
  client: PresentedClient;
  clients: readonly FakeOAuth2Client[];
  ledger: TokenLedger;
}

export type GrantResult = TokenResponseBody | OAuth2Failure;

// Scopes of OpenID Connect and offline access, which Microsoft grants alongside any resource.
const ALWAYS_GRANTED = new Set(['offline_access', 'openid', 'profile', 'email']);

function scopes(value: string): string[] {
  return value.split(/\s+/).filter((scope) => scope !== '');
}

/**
 * The first requested scope the earlier grant does not cover (RFC 6749 section 6: a
 * refresh must not widen the grant). `<resource>/.default` asks for what was consented
 * on that resource, as at Microsoft.
 */
function uncoveredScope(requested: string, granted: string): string | undefined {
  const grantedScopes = scopes(granted);
  return scopes(requested).find((scope) => {
    if (ALWAYS_GRANTED.has(scope) || grantedScopes.includes(scope)) return false;
    const resource = scope.endsWith('/.default') ? scope.slice(0, -'.default'.length) : undefined;
    return !(resource !== undefined && grantedScopes.some((g) => g.startsWith(resource)));
  });
}

/** RFC 6749 section 4.4, as Microsoft's app-only flow: a confidential client and `/.default`. */
export function clientCredentialsGrant(
  request: GrantRequest,
  clientCredentialsUser: string | undefined,
): GrantResult {
  const client = authenticateClient(request.clients, request.client, true);
  if (isFailure(client)) return client;
  const scope = request.form.get('scope');
  if (scope === null || scope.trim() === '') return missingParameter('scope');
  const notDefault = scopes(scope).find((s) => !s.endsWith('/.default'));
  if (notDefault !== undefined) {
    return aadFailure(
      'invalid_scope',
      1002012,
      `The provided value for scope ${notDefault} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    );
  }
  return request.ledger.issue(
    { clientId: client.clientId, user: clientCredentialsUser, scope },
    'none',
  );
}

/** RFC 6749 section 6, with optional rotation (the old token is then gone). */
export function refreshTokenGrant(request: GrantRequest, rotate: boolean): GrantResult {
  const { form, ledger } = request;
  const client = authenticateClient(request.clients, request.client, false);
  if (isFailure(client)) return client;
  const refreshToken = form.get('refresh_token');
  if (refreshToken === null || refreshToken === '') return missingParameter('refresh_token');
  const record = ledger.refreshToken(refreshToken);
  if (record === undefined) {
    return aadFailure(
      'invalid_grant',
      70008,
      'The provided authorization code or refresh token has expired due to inactivity.',
    );
  }
  if (record.clientId !== client.clientId) {
    return aadFailure(
      'invalid_grant',
      70000,
      "The provided value for the 'refresh_token' is not valid: it was issued to another client.",
    );
  }
  const requested = form.get('scope');
  const scope = requested === null || requested.trim() === '' ? record.scope : requested;
  const widened = uncoveredScope(scope, record.scope);
  if (widened !== undefined) {
    return aadFailure(
      'invalid_scope',
      70011,
      `The provided value for the input parameter 'scope' is not valid. The scope ${widened} was not granted.`,
    );
  }
  const subject = { clientId: client.clientId, user: record.user, scope };
  if (!rotate) return ledger.issue(subject, 'none');
  ledger.forgetRefreshToken(refreshToken);
  return ledger.issue(subject, 'new');
}
