import { createHash, randomBytes } from 'node:crypto';
import {
  toTokenResponse,
  type TokenEndpointCall,
  type TokenResponse,
} from '@smtp-relay/smart-host';
import { listenForRedirect } from './loopback-redirect.ts';

// Google's sign-in for installed apps: the authorization code grant (RFC 6749
// 4.1) with PKCE (RFC 7636, S256) and a loopback redirect (RFC 8252), the
// operator's browser doing the sign-in and consent.

export interface AuthorizationCodeFlowInput {
  readonly authorizationUrl: string;
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string | undefined;
  readonly scope: string;
  /** suggested account at the sign-in page (SMART_HOST_USER) */
  readonly loginHint: string | undefined;
  readonly timeoutMs: number;
  readonly callEndpoint: TokenEndpointCall;
  readonly tell: (text: string) => void;
}

export async function runAuthorizationCodeFlow(
  input: AuthorizationCodeFlowInput,
): Promise<TokenResponse> {
  // RFC 7636 4.1: 32 random octets, base64url: a 43-character verifier.
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const state = randomBytes(16).toString('base64url');
  const redirect = await listenForRedirect(state, input.timeoutMs);
  try {
    const { port } = new URL(redirect.redirectUri);
    const url = new URL(input.authorizationUrl);
    const query = {
      client_id: input.clientId,
      redirect_uri: redirect.redirectUri,
      response_type: 'code',
      scope: input.scope,
      // A refresh token, and a new one even if this app was allowed before (Google).
      access_type: 'offline',
      prompt: 'consent',
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...(input.loginHint === undefined ? {} : { login_hint: input.loginHint }),
    };
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    input.tell(
      [
        'Open this address in a browser on this machine and sign in as the mailbox the relay sends as:',
        '',
        `  ${url.href}`,
        '',
        `The browser then returns to ${redirect.redirectUri}, which only this machine can reach`,
        `(a browser elsewhere needs: ssh -L ${port}:127.0.0.1:${port} <this machine>). Waiting...`,
      ].join('\n'),
    );
    const code = await redirect.code;
    return toTokenResponse(
      await input.callEndpoint(input.tokenUrl, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirect.redirectUri,
        client_id: input.clientId,
        ...(input.clientSecret === undefined ? {} : { client_secret: input.clientSecret }),
        code_verifier: verifier,
      }),
    );
  } finally {
    await redirect.close();
  }
}
