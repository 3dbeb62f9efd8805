import { createHash } from 'node:crypto';
import { authenticateClient } from './client-auth.ts';
import type { GrantRequest, GrantResult } from './grants.ts';
import { aadFailure, isFailure, missingParameter } from './oauth2-failure.ts';
import { randomToken } from './token-ledger.ts';
import type { FakeOAuth2Client } from './types.ts';

interface IssuedCode {
  clientId: string;
  redirectUri: string;
  scope: string;
  codeChallenge: string;
  user: string;
  expiresAtMs: number;
  redeemed: boolean;
}

/** The answer of the authorization endpoint: a redirect back, or an error page (never redirected). */
export type AuthorizeOutcome = { status: 302; location: string } | { status: 400; text: string };

const CODE_LIFETIME_MS = 10 * 60 * 1000;
// RFC 7636 section 4.1 (verifier) and 4.2 (S256 challenge: base64url of a SHA-256, 43 chars).
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/** RFC 8252 section 7.3: native apps get their code on a loopback redirect. */
function isLoopbackRedirect(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (
    url.protocol === 'http:' &&
    (url.hostname === '127.0.0.1' || url.hostname === 'localhost') &&
    url.hash === ''
  );
}

function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

/** Authorization code grant with PKCE (RFC 6749 section 4.1, RFC 7636), S256 only. */
export class AuthorizationCodes {
  readonly #codes = new Map<string, IssuedCode>();
  readonly #clients: readonly FakeOAuth2Client[];
  readonly #consentingUser: string;

  constructor(clients: readonly FakeOAuth2Client[], consentingUser: string) {
    this.#clients = clients;
    this.#consentingUser = consentingUser;
  }

  /** GET /authorize: the user signs in and consents at once. */
  authorize(query: URLSearchParams): AuthorizeOutcome {
    const refuse = (text: string): AuthorizeOutcome => ({ status: 400, text });
    const clientId = query.get('client_id') ?? '';
    if (!this.#clients.some((c) => c.clientId === clientId)) {
      return refuse(
        `AADSTS700016: Application with identifier '${clientId}' was not found in the directory.`,
      );
    }
    // Checked before anything is redirected: an unchecked redirect_uri would leak the code.
    const redirectUri = query.get('redirect_uri') ?? '';
    if (!isLoopbackRedirect(redirectUri)) {
      return refuse(
        'AADSTS50011: The redirect URI must be http://127.0.0.1:<port>/... or http://localhost:<port>/...',
      );
    }
    if (query.get('response_type') !== 'code') {
      return refuse("AADSTS900144: 'response_type' must be 'code'.");
    }
    const codeChallenge = query.get('code_challenge') ?? '';
    if (query.get('code_challenge_method') !== 'S256' || !S256_CHALLENGE.test(codeChallenge)) {
      return refuse(
        'AADSTS9002325: Proof Key for Code Exchange is required: code_challenge with code_challenge_method S256.',
      );
    }
    const scope = query.get('scope') ?? '';
    if (scope.trim() === '') return refuse("AADSTS900144: 'scope' is required.");

    const code = randomToken();
    this.#codes.set(code, {
      clientId,
      redirectUri,
      scope,
      codeChallenge,
      user: this.#consentingUser,
      expiresAtMs: Date.now() + CODE_LIFETIME_MS,
      redeemed: false,
    });
    const location = new URL(redirectUri);
    location.searchParams.set('code', code);
    const state = query.get('state');
    if (state !== null) location.searchParams.set('state', state);
    return { status: 302, location: location.href };
  }

  /** grant_type=authorization_code: returns access and refresh token for the consenting user. */
  redeem(request: GrantRequest): GrantResult {
    const { form, ledger } = request;
    const client = authenticateClient(request.clients, request.client, false);
    if (isFailure(client)) return client;
    const code = form.get('code');
    if (code === null || code === '') return missingParameter('code');
    const issued = this.#codes.get(code);
    if (issued === undefined || Date.now() >= issued.expiresAtMs) {
      return aadFailure(
        'invalid_grant',
        70008,
        'The provided authorization code or refresh token has expired due to inactivity.',
      );
    }
    if (issued.redeemed) {
      return aadFailure(
        'invalid_grant',
        54005,
        'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
      );
    }
    if (issued.clientId !== client.clientId) {
      return aadFailure(
        'invalid_grant',
        70000,
        "The provided value for the 'code' parameter is not valid: it was issued to another client.",
      );
    }
    if (form.get('redirect_uri') !== issued.redirectUri) {
      return aadFailure(
        'invalid_grant',
        70000,
        "The provided value for 'redirect_uri' does not match the one of the authorization request.",
      );
    }
    const verifier = form.get('code_verifier');
    if (verifier === null || verifier === '') return missingParameter('code_verifier');
    if (!VERIFIER.test(verifier) || s256(verifier) !== issued.codeChallenge) {
      return aadFailure(
        'invalid_grant',
        501481,
        'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
      );
    }
    // Only a successful redemption uses the code up (RFC 6749 section 4.1.2: once).
    issued.redeemed = true;
    return ledger.issue(
      { clientId: client.clientId, user: issued.user, scope: issued.scope },
      'new',
    );
  }
}
