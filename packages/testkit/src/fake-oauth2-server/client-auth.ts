import { timingSafeEqual } from 'node:crypto';
import type { PresentedClient } from './http-io.ts';
import { aadFailure, missingParameter, type OAuth2Failure } from './oauth2-failure.ts';
import type { FakeOAuth2Client } from './types.ts';

function sameSecret(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * RFC 6749 section 2.3: a confidential client must prove its secret, a public client
 * must not present one (Microsoft's AADSTS700025). `confidentialOnly` is for grants
 * that only confidential clients may use (client_credentials, section 4.4).
 */
export function authenticateClient(
  clients: readonly FakeOAuth2Client[],
  presented: PresentedClient,
  confidentialOnly: boolean,
): FakeOAuth2Client | OAuth2Failure {
  const { clientId, clientSecret } = presented;
  if (clientId === undefined || clientId === '') return missingParameter('client_id');
  const client = clients.find((c) => c.clientId === clientId);
  if (client === undefined) {
    return aadFailure(
      'invalid_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory.`,
      401,
    );
  }
  if (client.clientSecret === undefined && clientSecret !== undefined) {
    return aadFailure(
      'invalid_client',
      700025,
      "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
      401,
    );
  }
  if (client.clientSecret === undefined && !confidentialOnly) return client;
  if (client.clientSecret === undefined || clientSecret === undefined || clientSecret === '') {
    return aadFailure(
      'invalid_client',
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      401,
    );
  }
  if (!sameSecret(client.clientSecret, clientSecret)) {
    return aadFailure(
      'invalid_client',
      7000215,
      'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.',
      401,
    );
  }
  return client;
}
