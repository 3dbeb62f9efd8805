/**
 * A sign-in that ended without a token for a reason of the flow itself (code
 * expired, consent declined, no browser answer): what happened, and what to do.
 * Refusals by the token endpoint stay OAuth2Error.
 */
export class LoginError extends Error {
  /** the next step for the operator, one sentence */
  readonly advice: string;

  constructor(message: string, advice: string) {
    super(message);
    this.name = 'LoginError';
    this.advice = advice;
  }
}
