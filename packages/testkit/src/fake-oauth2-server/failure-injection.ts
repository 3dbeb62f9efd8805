import type { OAuth2Failure } from './oauth2-failure.ts';
import type { FakeOAuth2Error } from './types.ts';

function toFailure(error: FakeOAuth2Error): OAuth2Failure {
  const { status = 400, ...body } = error;
  return { status, ...body };
}

/** Outages and refusals a test orders: failNext() first, then failAll(). */
export class FailureInjection {
  readonly #next: OAuth2Failure[] = [];
  #all: OAuth2Failure | undefined;

  failNext(error: FakeOAuth2Error, count = 1): void {
    if (!Number.isInteger(count) || count < 1) {
      throw new Error(
        `Fake OAuth2 server: failNext count must be a positive integer, not ${count}`,
      );
    }
    for (let i = 0; i < count; i++) this.#next.push(toFailure(error));
  }

  failAll(error: FakeOAuth2Error | undefined): void {
    this.#all = error === undefined ? undefined : toFailure(error);
  }

  /** The failure the current token request gets, if any. */
  take(): OAuth2Failure | undefined {
    return this.#next.shift() ?? this.#all;
  }
}
