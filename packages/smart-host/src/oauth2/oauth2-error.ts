/**
 * Why no access token could be had. A fixed set: these are metric labels
 * (`smtp_relay_oauth2_failures_total{reason}`) and log fields.
 */
export type OAuth2FailureReason =
  /** the token endpoint did not answer (DNS, refused, TLS, timeout, 5xx) */
  | 'unreachable'
  /** refresh token or authorization revoked, expired or unknown; consent missing */
  | 'invalid_grant'
  /** wrong client id or secret, or a secret that expired */
  | 'invalid_client'
  /** the endpoint refused the request for another reason (invalid_scope, unauthorized_client...) */
  | 'refused'
  /** the smart host rejected a freshly obtained token */
  | 'token_rejected';

/**
 * An OAuth2 failure. `code` 'EOAUTH2' is what the delivery classification table
 * reads (systemic: hold the mail, never bounce it). The message carries the
 * endpoint's own error text (e.g. "AADSTS7000215: Invalid client secret"),
 * never a token or a secret.
 */
export class OAuth2Error extends Error {
  readonly code = 'EOAUTH2';
  readonly reason: OAuth2FailureReason;
  /** the endpoint's `error` field, e.g. invalid_grant */
  readonly oauthError: string | undefined;
  /** the endpoint's `error_description` */
  readonly description: string | undefined;
  readonly status: number | undefined;

  constructor(
    reason: OAuth2FailureReason,
    message: string,
    details: {
      oauthError?: string | undefined;
      description?: string | undefined;
      status?: number | undefined;
      cause?: unknown;
    } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'OAuth2Error';
    this.reason = reason;
    this.oauthError = details.oauthError;
    this.description = details.description;
    this.status = details.status;
  }
}

// RFC 6749 5.2 error codes (and the two of 4.1.2.1 that a token endpoint may
// also use) -> our reason; anything else the endpoint says is "refused".
const REASONS: Readonly<Record<string, OAuth2FailureReason>> = {
  invalid_grant: 'invalid_grant',
  invalid_client: 'invalid_client',
  temporarily_unavailable: 'unreachable',
  server_error: 'unreachable',
};

export function reasonOf(oauthError: string | undefined, status: number): OAuth2FailureReason {
  if (oauthError !== undefined) return REASONS[oauthError] ?? 'refused';
  return status >= 500 || status === 429 ? 'unreachable' : 'refused';
}
