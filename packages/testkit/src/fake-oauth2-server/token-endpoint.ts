import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthorizationCodes } from './authorization-code.ts';
import type { DeviceCodes } from './device-codes.ts';
import type { FailureInjection } from './failure-injection.ts';
import {
  clientCredentialsGrant,
  refreshTokenGrant,
  type GrantRequest,
  type GrantResult,
} from './grants.ts';
import { presentedClient, readForm, sendFailure, sendJson } from './http-io.ts';
import { describeAssertion, JWT_BEARER_GRANT, type JwtBearerGrant } from './jwt-bearer-grant.ts';
import { aadFailure, isFailure, missingParameter } from './oauth2-failure.ts';
import type { TokenLedger } from './token-ledger.ts';
import type { FakeOAuth2Client, FakeOAuth2TokenRequest } from './types.ts';

const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export interface TokenEndpoint {
  clients: readonly FakeOAuth2Client[];
  ledger: TokenLedger;
  authorizationCodes: AuthorizationCodes;
  deviceCodes: DeviceCodes;
  jwtBearer: JwtBearerGrant;
  failures: FailureInjection;
  rotateRefreshTokens: boolean;
  clientCredentialsUser: string | undefined;
  /** Appended to, one entry per request. */
  requests: FakeOAuth2TokenRequest[];
}

async function grant(
  grantType: string,
  request: GrantRequest,
  endpoint: TokenEndpoint,
): Promise<GrantResult> {
  switch (grantType) {
    case '':
      return missingParameter('grant_type');
    case 'client_credentials':
      return clientCredentialsGrant(request, endpoint.clientCredentialsUser);
    case 'refresh_token':
      return refreshTokenGrant(request, endpoint.rotateRefreshTokens);
    case 'authorization_code':
      return endpoint.authorizationCodes.redeem(request);
    case DEVICE_CODE_GRANT:
      return endpoint.deviceCodes.poll(request);
    case JWT_BEARER_GRANT:
      return endpoint.jwtBearer.exchange(request);
    default:
      return aadFailure(
        'unsupported_grant_type',
        70003,
        `The app requested an unsupported grant type '${grantType}'.`,
      );
  }
}

/** POST /oauth2/v2.0/token: every request is recorded, then answered (RFC 6749 section 5). */
export async function handleTokenRequest(
  request: IncomingMessage,
  response: ServerResponse,
  endpoint: TokenEndpoint,
): Promise<void> {
  const form = await readForm(request);
  const parsed = isFailure(form) ? new URLSearchParams() : form;
  const grantType = parsed.get('grant_type') ?? '';
  const client = presentedClient(request, parsed);
  const recorded =
    grantType === JWT_BEARER_GRANT
      ? describeAssertion(parsed)
      : {
          clientId: isFailure(client) ? (parsed.get('client_id') ?? undefined) : client.clientId,
          scope: parsed.get('scope') ?? undefined,
        };

  // Recorded on arrival, so concurrent requests keep their order in the record.
  const entry: FakeOAuth2TokenRequest = {
    grantType,
    ...recorded,
    outcome: 'pending',
    at: new Date(),
  };
  endpoint.requests.push(entry);

  // An ordered failure wins over everything, even a malformed request: it stands for
  // the endpoint itself being in trouble.
  const injected = endpoint.failures.take();
  let result: GrantResult;
  if (injected !== undefined) result = injected;
  else if (isFailure(form)) result = form;
  else if (isFailure(client)) result = client;
  else {
    const { clients, ledger } = endpoint;
    result = await grant(grantType, { form, client, clients, ledger }, endpoint);
  }

  entry.outcome = isFailure(result) ? result.error : 'issued';
  if (isFailure(result)) sendFailure(response, result);
  else sendJson(response, 200, result);
}
