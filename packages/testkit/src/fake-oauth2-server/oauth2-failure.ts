/** A refusal by the token or device endpoint: status plus the JSON body of RFC 6749 section 5.2. */
export interface OAuth2Failure {
  status: number;
  error: string;
  error_description?: string;
  error_codes?: number[];
}

export function isFailure(value: object): value is OAuth2Failure {
  return 'error' in value && 'status' in value;
}

/**
 * Microsoft identity platform style: the AADSTS number leads the description and is
 * repeated in `error_codes`, which is what clients (and the relay's hints) key on.
 */
export function aadFailure(error: string, code: number, text: string, status = 400): OAuth2Failure {
  return { status, error, error_description: `AADSTS${code}: ${text}`, error_codes: [code] };
}

/** Google style: a bare error and description, no numeric codes. */
export function googleFailure(error: string, description: string, status = 400): OAuth2Failure {
  return { status, error, error_description: description };
}

export function missingParameter(name: string): OAuth2Failure {
  return aadFailure(
    'invalid_request',
    900144,
    `The request body must contain the following parameter: '${name}'.`,
  );
}
