import { randomInt } from 'node:crypto';
import { authenticateClient } from './client-auth.ts';
import type { GrantRequest, GrantResult } from './grants.ts';
import { aadFailure, isFailure, missingParameter, type OAuth2Failure } from './oauth2-failure.ts';
import { randomToken } from './token-ledger.ts';

interface DeviceAuthorization {
  clientId: string;
  scope: string;
  userCode: string;
  expiresAtMs: number;
  lastPollMs: number | undefined;
  approvedUser: string | undefined;
  redeemed: boolean;
}

/** The device authorization response of RFC 8628 section 3.2, with Microsoft's `message`. */
export interface DeviceAuthorizationBody {
  device_code: string;
  user_code: string;
  verification_uri: string;
  expires_in: number;
  interval: number;
  message: string;
}

export interface DeviceCodeSettings {
  intervalSeconds: number;
  lifetimeSeconds: number;
  autoApproveAs: string | undefined;
  verificationUri: () => string;
}

// RFC 8628 section 6.1: consonants only (no vowels, no words), easy to type.
const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';

function newUserCode(): string {
  const chars = Array.from({ length: 8 }, () => USER_CODE_ALPHABET[randomInt(20)] ?? 'B');
  return `${chars.slice(0, 4).join('')}-${chars.slice(4).join('')}`;
}

function normalizeUserCode(code: string): string {
  return code.replace(/[\s-]/g, '').toUpperCase();
}

const invalidDeviceCode = (why: string): OAuth2Failure =>
  aadFailure(
    'invalid_grant',
    70000,
    `The provided value for the input parameter 'device_code' is not valid: ${why}.`,
  );

/** Device authorization grant (RFC 8628): codes handed out, approvals, polls. */
export class DeviceCodes {
  readonly #byDeviceCode = new Map<string, DeviceAuthorization>();
  readonly #settings: DeviceCodeSettings;

  constructor(settings: DeviceCodeSettings) {
    this.#settings = settings;
  }

  /** POST /devicecode (client_id, scope). */
  start(request: GrantRequest): DeviceAuthorizationBody | OAuth2Failure {
    const client = authenticateClient(request.clients, request.client, false);
    if (isFailure(client)) return client;
    const scope = request.form.get('scope');
    if (scope === null || scope.trim() === '') return missingParameter('scope');
    const { intervalSeconds, lifetimeSeconds } = this.#settings;
    const verificationUri = this.#settings.verificationUri();
    const deviceCode = randomToken();
    const userCode = newUserCode();
    this.#byDeviceCode.set(deviceCode, {
      clientId: client.clientId,
      scope,
      userCode,
      expiresAtMs: Date.now() + lifetimeSeconds * 1000,
      lastPollMs: undefined,
      approvedUser: undefined,
      redeemed: false,
    });
    return {
      device_code: deviceCode,
      user_code: userCode,
      verification_uri: verificationUri,
      expires_in: lifetimeSeconds,
      interval: intervalSeconds,
      message: `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${userCode} to authenticate.`,
    };
  }

  /** What the user does at verification_uri: sign in as `user` and consent. */
  approve(userCode: string, user: string): void {
    const wanted = normalizeUserCode(userCode);
    for (const authorization of this.#byDeviceCode.values()) {
      if (normalizeUserCode(authorization.userCode) !== wanted) continue;
      if (Date.now() >= authorization.expiresAtMs) {
        throw new Error(`Fake OAuth2 server: user code ${userCode} has expired`);
      }
      authorization.approvedUser = user;
      return;
    }
    throw new Error(`Fake OAuth2 server: no device authorization with user code ${userCode}`);
  }

  /** grant_type=urn:ietf:params:oauth:grant-type:device_code (RFC 8628 section 3.4/3.5). */
  poll(request: GrantRequest): GrantResult {
    const client = authenticateClient(request.clients, request.client, false);
    if (isFailure(client)) return client;
    const deviceCode = request.form.get('device_code');
    if (deviceCode === null || deviceCode === '') return missingParameter('device_code');
    const authorization = this.#byDeviceCode.get(deviceCode);
    if (authorization === undefined) return invalidDeviceCode('unknown code');
    if (authorization.clientId !== client.clientId) {
      return invalidDeviceCode('it was issued to another client');
    }
    if (authorization.redeemed) return invalidDeviceCode('it was already redeemed');
    const now = Date.now();
    if (now >= authorization.expiresAtMs) {
      return aadFailure('expired_token', 70019, 'Verification code expired.');
    }
    const { lastPollMs } = authorization;
    authorization.lastPollMs = now;
    // The first poll is never too early: RFC 8628 only asks for `interval` between polls.
    if (lastPollMs !== undefined && now - lastPollMs < this.#settings.intervalSeconds * 1000) {
      return {
        status: 400,
        error: 'slow_down',
        error_description: `Polls must be at least ${this.#settings.intervalSeconds} s apart.`,
      };
    }
    authorization.approvedUser ??= this.#settings.autoApproveAs;
    if (authorization.approvedUser === undefined) {
      return aadFailure(
        'authorization_pending',
        70016,
        'OAuth 2.0 device flow error. Authorization is pending. Continue polling.',
      );
    }
    authorization.redeemed = true;
    return request.ledger.issue(
      { clientId: client.clientId, user: authorization.approvedUser, scope: authorization.scope },
      'new',
    );
  }
}
