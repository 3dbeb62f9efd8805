export interface FakeOAuth2Client {
  clientId: string;
  /** undefined = public client (device code, authorization code or refresh without a secret). */
  clientSecret?: string;
}

export interface FakeOAuth2ServiceAccount {
  clientEmail: string;
  /** SPKI or PKCS#1 public key, or an X.509 certificate (as Google publishes them), PEM. */
  publicKeyPem: string;
}

export interface FakeOAuth2RefreshToken {
  token: string;
  clientId: string;
  user: string;
  scope: string;
}

export interface FakeOAuth2ServerOptions {
  certificate: { key: string; cert: string };
  /** Registered clients. clientSecret undefined = public client (device code / refresh without secret). */
  clients: FakeOAuth2Client[];
  /** Service accounts for the JWT bearer grant: assertion signed RS256 with this key's private half. */
  serviceAccounts?: FakeOAuth2ServiceAccount[];
  /** Refresh tokens that exist at start. */
  refreshTokens?: FakeOAuth2RefreshToken[];
  /** expires_in of issued access tokens (default 3600). */
  accessTokenLifetimeSeconds?: number;
  /** Each refresh_token grant returns a new refresh_token and invalidates the old one (default false). */
  rotateRefreshTokens?: boolean;
  /** The user (mailbox) that client-credentials tokens are valid for: any user when undefined. */
  clientCredentialsUser?: string;
  /** Minimum seconds between device-code polls, `interval` of the device endpoint (default 1). */
  deviceInterval?: number;
  /** Lifetime of a device code, `expires_in` of the device endpoint (default 900). */
  deviceCodeLifetimeSeconds?: number;
  /** Approve a device code on its first poll as this user (that poll gets the tokens). */
  autoApproveDeviceAs?: string;
  /** The user who consents at the authorization endpoint (default 'user@example.com'). */
  authorizeAs?: string;
  /** Listen on this port instead of a free one. */
  port?: number;
}

/** An RFC 6749 section 5.2 error, with Microsoft's `error_codes` when it has one. */
export interface FakeOAuth2Error {
  error: string;
  error_description?: string;
  /** HTTP status of the reply (default 400). */
  status?: number;
  error_codes?: number[];
}

export interface FakeOAuth2TokenRequest {
  grantType: string;
  /** client_id (form or Basic); for the JWT bearer grant the assertion's `iss`. */
  clientId: string | undefined;
  /** The scope form field; for the JWT bearer grant the assertion's `scope` claim. */
  scope: string | undefined;
  /** 'issued' or the OAuth2 error code returned */
  outcome: string;
  at: Date;
}

export interface FakeOAuth2Server {
  readonly url: string;
  readonly tokenUrl: string;
  readonly deviceCodeUrl: string;
  readonly authorizationUrl: string;
  readonly port: number;
  /** Every request to the token endpoint, in order (a live array). */
  readonly tokenRequests: readonly FakeOAuth2TokenRequest[];
  /** For the fake smart host: true when `token` was issued here, has not expired, is not revoked and is valid for `user`. */
  validateAccessToken(user: string, token: string): boolean;
  /** Revoke every access token issued so far (they stop validating; the refresh tokens stay good). */
  revokeAccessTokens(): void;
  /** Make the next `count` token requests (default 1) fail with this OAuth2 error (HTTP status default 400). */
  failNext(error: FakeOAuth2Error, count?: number): void;
  /** Every token request fails with this error until called with undefined. */
  failAll(error: FakeOAuth2Error | undefined): void;
  /** The current valid refresh tokens (after rotation), for assertions. */
  currentRefreshTokens(): string[];
  /** The user behind `userCode` (as shown by the device endpoint, dash optional) consents. */
  approveDevice(userCode: string, user: string): void;
  /** Stop listening (endpoint down) and start again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}
