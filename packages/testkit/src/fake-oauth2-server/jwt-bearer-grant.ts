import { createPublicKey, type KeyObject } from 'node:crypto';
import { decodeJwt, errors, jwtVerify } from 'jose';
import type { GrantRequest, GrantResult } from './grants.ts';
import { googleFailure, type OAuth2Failure } from './oauth2-failure.ts';
import type { FakeOAuth2ServiceAccount } from './types.ts';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

// Google's limit: an assertion may live at most one hour.
const MAX_ASSERTION_LIFETIME_S = 3600;
const CLOCK_SKEW_S = 30;

const TIMEFRAME = googleFailure(
  'invalid_grant',
  'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
);

/** The unverified `iss` and `scope` of an assertion, only to record the request. */
export function describeAssertion(form: URLSearchParams): {
  clientId: string | undefined;
  scope: string | undefined;
} {
  try {
    const claims = decodeJwt(form.get('assertion') ?? '');
    return {
      clientId: typeof claims.iss === 'string' ? claims.iss : undefined,
      scope: typeof claims.scope === 'string' ? claims.scope : undefined,
    };
  } catch {
    return { clientId: undefined, scope: undefined };
  }
}

function verificationFailure(error: unknown, audience: string): OAuth2Failure {
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return googleFailure('invalid_grant', 'Invalid JWT Signature.');
  }
  if (error instanceof errors.JWTExpired) return TIMEFRAME;
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') {
      return googleFailure(
        'invalid_grant',
        `Invalid JWT: Failed audience check. The right audience is ${audience}`,
      );
    }
    if (error.claim === 'iat' || error.claim === 'exp' || error.claim === 'nbf') return TIMEFRAME;
    return googleFailure('invalid_grant', `Invalid JWT: claim ${error.claim} ${error.reason}`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return googleFailure('invalid_grant', 'Invalid JWT: the signature algorithm must be RS256.');
  }
  return googleFailure('invalid_grant', 'Invalid JWT: the assertion is not a signed JWT.');
}

/**
 * Google's two-legged OAuth (RFC 7523 section 2.1): a service account signs a JWT, `sub`
 * names the Workspace user it acts for (domain-wide delegation). No client
 * authentication and no refresh token, as at oauth2.googleapis.com.
 */
export class JwtBearerGrant {
  readonly #keys = new Map<string, KeyObject>();
  readonly #audience: () => string;

  /** `audience`: the token URL, which names the port the server listens on. */
  constructor(accounts: readonly FakeOAuth2ServiceAccount[], audience: () => string) {
    for (const account of accounts) {
      this.#keys.set(account.clientEmail, createPublicKey(account.publicKeyPem));
    }
    this.#audience = audience;
  }

  async exchange(request: GrantRequest): Promise<GrantResult> {
    const assertion = request.form.get('assertion');
    if (assertion === null || assertion === '') {
      return googleFailure('invalid_request', 'Missing required parameter: assertion');
    }
    const { clientId: issuer } = describeAssertion(request.form);
    const key = issuer === undefined ? undefined : this.#keys.get(issuer);
    if (issuer === undefined || key === undefined) {
      return googleFailure('invalid_grant', 'Invalid grant: account not found');
    }
    const audience = this.#audience();
    let claims;
    try {
      ({ payload: claims } = await jwtVerify(assertion, key, {
        algorithms: ['RS256'],
        issuer,
        audience,
        requiredClaims: ['iat', 'exp'],
        clockTolerance: CLOCK_SKEW_S,
      }));
    } catch (error) {
      return verificationFailure(error, audience);
    }
    const nowS = Date.now() / 1000;
    const { iat = 0, exp = 0 } = claims;
    if (iat > nowS + CLOCK_SKEW_S || exp - iat > MAX_ASSERTION_LIFETIME_S) return TIMEFRAME;
    const { scope, sub } = claims;
    if (typeof scope !== 'string' || scope.trim() === '') {
      return googleFailure('invalid_scope', 'Invalid oauth scope or ID token audience provided.');
    }
    // Without `sub` Google issues the token for the service account itself.
    const user = typeof sub === 'string' && sub !== '' ? sub : issuer;
    return request.ledger.issue({ clientId: issuer, user, scope }, 'none');
  }
}
