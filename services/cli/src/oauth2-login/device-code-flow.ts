import { setTimeout as delay } from 'node:timers/promises';
import {
  OAuth2Error,
  toTokenResponse,
  type TokenEndpointCall,
  type TokenResponse,
} from '@smtp-relay/smart-host';
import { LoginError } from './login-error.ts';

// The device authorization grant (RFC 8628), Microsoft's way to sign in from a
// machine without a browser: the operator enters a short code on another device.

const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** RFC 8628 3.5: "If no value is provided, clients MUST use 5 as the default." */
const DEFAULT_INTERVAL_S = 5;
/** RFC 8628 3.5: on slow_down "the interval MUST be increased by 5 seconds". */
const SLOW_DOWN_STEP_MS = 5_000;

export interface DeviceCodeFlowInput {
  readonly deviceCodeUrl: string;
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string | undefined;
  readonly scope: string;
  readonly callEndpoint: TokenEndpointCall;
  /** instructions for the operator */
  readonly tell: (text: string) => void;
  readonly now?: () => number;
}

interface DeviceAuthorization {
  readonly deviceCode: string;
  readonly userCode: string;
  readonly verificationUri: string;
  readonly verificationUriComplete: string | undefined;
  readonly expiresInS: number;
  readonly intervalS: number;
  readonly message: string | undefined;
}

/** Shows the code, then polls the token endpoint until the operator has signed in. */
export async function runDeviceCodeFlow(input: DeviceCodeFlowInput): Promise<TokenResponse> {
  const now = input.now ?? Date.now;
  // RFC 8628 3.1: a confidential client authenticates here as at the token endpoint.
  const client = {
    client_id: input.clientId,
    ...(input.clientSecret === undefined ? {} : { client_secret: input.clientSecret }),
  };
  const device = readDeviceAuthorization(
    await input.callEndpoint(input.deviceCodeUrl, { ...client, scope: input.scope }),
  );
  const minutes = Math.max(1, Math.round(device.expiresInS / 60));
  input.tell(
    device.message ??
      `To sign in, open ${device.verificationUri} in a browser and enter the code ${device.userCode}.`,
  );
  if (device.verificationUriComplete !== undefined) {
    input.tell(`(or open ${device.verificationUriComplete}, which carries the code)`);
  }
  input.tell(`Sign in as the mailbox the relay sends as. Waiting up to ${minutes} minutes...`);

  const deadline = now() + device.expiresInS * 1000;
  let intervalMs = device.intervalS * 1000;
  const form = { grant_type: DEVICE_CODE_GRANT, device_code: device.deviceCode, ...client };
  for (;;) {
    // RFC 8628 3.5: wait `interval` seconds between polls; the deadline cuts the last wait.
    await delay(Math.max(0, Math.min(intervalMs, deadline - now())));
    try {
      return toTokenResponse(await input.callEndpoint(input.tokenUrl, form));
    } catch (error) {
      if (!(error instanceof OAuth2Error)) throw error;
      switch (error.oauthError) {
        case 'authorization_pending':
          break;
        case 'slow_down':
          intervalMs += SLOW_DOWN_STEP_MS;
          break;
        case 'expired_token':
          throw expired(minutes);
        case 'access_denied':
        case 'authorization_declined': // Microsoft's name for access_denied in this flow
          throw new LoginError(
            `the sign-in was declined (${describe(error)})`,
            'Run the command again and accept the permissions asked for; if your organisation requires it, ask an administrator to grant consent to the app.',
          );
        case undefined:
        default:
          throw error;
      }
    }
    if (now() >= deadline) throw expired(minutes);
  }
}

function expired(minutes: number): LoginError {
  return new LoginError(
    'the code expired before the sign-in was completed',
    `Run the command again and finish the sign-in within ${minutes} minutes.`,
  );
}

function describe(error: OAuth2Error): string {
  return `${error.oauthError ?? 'error'}${error.description ? `: ${error.description}` : ''}`;
}

function readDeviceAuthorization(json: Record<string, unknown>): DeviceAuthorization {
  const text = (name: string): string | undefined => {
    const value = json[name];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const seconds = (name: string): number | undefined => {
    const value = Number(json[name]);
    return Number.isFinite(value) && value > 0 ? value : undefined;
  };
  const deviceCode = text('device_code');
  const userCode = text('user_code');
  // Google's device endpoint says verification_url, RFC 8628 verification_uri.
  const verificationUri = text('verification_uri') ?? text('verification_url');
  const expiresInS = seconds('expires_in');
  if (
    deviceCode === undefined ||
    userCode === undefined ||
    verificationUri === undefined ||
    expiresInS === undefined
  ) {
    throw new OAuth2Error(
      'refused',
      'the device code endpoint answered without device_code, user_code, verification_uri or expires_in',
    );
  }
  return {
    deviceCode,
    userCode,
    verificationUri,
    verificationUriComplete: text('verification_uri_complete'),
    expiresInS,
    intervalS: seconds('interval') ?? DEFAULT_INTERVAL_S,
    message: text('message'),
  };
}
