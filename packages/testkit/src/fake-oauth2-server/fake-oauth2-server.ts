import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { startRestartableServer } from '../restartable-server.ts';
import { AuthorizationCodes } from './authorization-code.ts';
import { DeviceCodes } from './device-codes.ts';
import { FailureInjection } from './failure-injection.ts';
import { presentedClient, readForm, sendFailure, sendJson, sendPage } from './http-io.ts';
import { JwtBearerGrant } from './jwt-bearer-grant.ts';
import { isFailure } from './oauth2-failure.ts';
import { TokenLedger } from './token-ledger.ts';
import { handleTokenRequest, type TokenEndpoint } from './token-endpoint.ts';
import type { FakeOAuth2Server, FakeOAuth2ServerOptions, FakeOAuth2TokenRequest } from './types.ts';

// Microsoft identity platform paths, so a tenant URL template works against the fake.
const TOKEN_PATH = '/oauth2/v2.0/token';
const DEVICE_CODE_PATH = '/oauth2/v2.0/devicecode';
const AUTHORIZE_PATH = '/oauth2/v2.0/authorize';
const VERIFICATION_PATH = '/devicelogin';

function positive(name: string, value: number, allowZero = false): number {
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new Error(
      `Fake OAuth2 server: ${name} must be a ${allowZero ? 'non-negative' : 'positive'} number`,
    );
  }
  return value;
}

interface Endpoints {
  token: TokenEndpoint;
  authorizationCodes: AuthorizationCodes;
  deviceCodes: DeviceCodes;
}

async function route(
  request: IncomingMessage,
  response: ServerResponse,
  endpoints: Endpoints,
): Promise<void> {
  const url = new URL(request.url ?? '/', 'https://127.0.0.1');
  const method = request.method ?? 'GET';
  const allow = (expected: string): boolean => {
    if (method === expected) return true;
    response.setHeader('Allow', expected);
    sendPage(response, 405, `${url.pathname} takes ${expected}`);
    return false;
  };
  switch (url.pathname) {
    case TOKEN_PATH:
      if (allow('POST')) await handleTokenRequest(request, response, endpoints.token);
      return;
    case DEVICE_CODE_PATH: {
      if (!allow('POST')) return;
      const form = await readForm(request);
      if (isFailure(form)) {
        sendFailure(response, form);
        return;
      }
      const client = presentedClient(request, form);
      if (isFailure(client)) {
        sendFailure(response, client);
        return;
      }
      const { clients, ledger } = endpoints.token;
      const started = endpoints.deviceCodes.start({ form, client, clients, ledger });
      if (isFailure(started)) sendFailure(response, started);
      else sendJson(response, 200, started);
      return;
    }
    case AUTHORIZE_PATH: {
      if (!allow('GET')) return;
      const outcome = endpoints.authorizationCodes.authorize(url.searchParams);
      if (outcome.status === 400) {
        sendPage(response, 400, outcome.text);
        return;
      }
      response.writeHead(302, { Location: outcome.location, 'Cache-Control': 'no-store' });
      response.end();
      return;
    }
    case VERIFICATION_PATH:
      sendPage(
        response,
        200,
        'Fake OAuth2 server: tests approve device codes with approveDevice().',
      );
      return;
    default:
      sendPage(response, 404, `No such endpoint ${url.pathname}`);
  }
}

/**
 * An OAuth2 authorization server over HTTPS on 127.0.0.1 with Microsoft identity
 * platform paths: client credentials, refresh token (optionally rotating), Google's JWT
 * bearer, authorization code with PKCE and device code grants. It never logs tokens.
 */
export async function startFakeOAuth2Server(
  options: FakeOAuth2ServerOptions,
): Promise<FakeOAuth2Server> {
  const lifetime = positive(
    'accessTokenLifetimeSeconds',
    options.accessTokenLifetimeSeconds ?? 3600,
  );
  const interval = positive('deviceInterval', options.deviceInterval ?? 1, true);
  const deviceLifetime = positive(
    'deviceCodeLifetimeSeconds',
    options.deviceCodeLifetimeSeconds ?? 900,
  );
  const clients = [...options.clients];
  const ledger = new TokenLedger(lifetime, options.refreshTokens ?? []);
  const requests: FakeOAuth2TokenRequest[] = [];
  // The URLs name the port, known once listening; the endpoints read them at request time.
  let url = '';
  const deviceCodes = new DeviceCodes({
    intervalSeconds: interval,
    lifetimeSeconds: deviceLifetime,
    autoApproveAs: options.autoApproveDeviceAs,
    verificationUri: () => `${url}${VERIFICATION_PATH}`,
  });
  const authorizationCodes = new AuthorizationCodes(
    clients,
    options.authorizeAs ?? 'user@example.com',
  );
  // Before listening: a bad public key fails here, not in the middle of a test.
  const jwtBearer = new JwtBearerGrant(options.serviceAccounts ?? [], () => `${url}${TOKEN_PATH}`);
  const failures = new FailureInjection();
  const endpoints: Endpoints = {
    authorizationCodes,
    deviceCodes,
    token: {
      clients,
      ledger,
      authorizationCodes,
      deviceCodes,
      jwtBearer,
      failures,
      rotateRefreshTokens: options.rotateRefreshTokens ?? false,
      clientCredentialsUser: options.clientCredentialsUser,
      requests,
    },
  };
  const server = await startRestartableServer({
    name: 'Fake OAuth2 server',
    port: options.port ?? 0,
    create: () => {
      const created = createServer({
        key: options.certificate.key,
        cert: options.certificate.cert,
      });
      created.on('request', (request: IncomingMessage, response: ServerResponse) => {
        route(request, response, endpoints).catch(() => {
          // Deliberately no logging: the request may carry secrets and tokens.
          if (response.headersSent) response.destroy();
          else sendPage(response, 500, 'Fake OAuth2 server: internal error');
        });
      });
      return created;
    },
    netServer: (created) => created,
  });
  const { port } = server;
  url = `https://127.0.0.1:${port}`;

  return {
    url,
    tokenUrl: `${url}${TOKEN_PATH}`,
    deviceCodeUrl: `${url}${DEVICE_CODE_PATH}`,
    authorizationUrl: `${url}${AUTHORIZE_PATH}`,
    port,
    tokenRequests: requests,
    validateAccessToken: (user, token) => ledger.validate(user, token),
    revokeAccessTokens: () => {
      ledger.revokeAll();
    },
    failNext: (error, count) => {
      failures.failNext(error, count);
    },
    failAll: (error) => {
      failures.failAll(error);
    },
    currentRefreshTokens: () => ledger.currentRefreshTokens(),
    approveDevice: (userCode, user) => {
      deviceCodes.approve(userCode, user);
    },
    ...server.lifecycle,
  };
}
