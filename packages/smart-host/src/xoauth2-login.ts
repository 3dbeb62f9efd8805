import type SMTPConnection from 'nodemailer/lib/smtp-connection';
import { OAuth2Error } from './oauth2/oauth2-error.ts';
import type { OAuth2TokenProvider } from './oauth2/token-provider.ts';

// AUTH XOAUTH2 (docs/reference.md "OAuth2 to the smart host"). nodemailer runs the exchange:
// on a `334` challenge it sends the empty line and asks `getToken(renew=true)`
// for a new token, once. A smart host that answers a bad token with a plain 535
// (no challenge) gets the same treatment here: one renewal, one more login.
// A second rejection is systemic: the token is fine at the endpoint but the
// smart host will not take it (permissions, SMTP AUTH disabled for the mailbox).

/** The SASL XOAUTH2 initial response of Google's and Microsoft's documentation. */
export function xoauth2InitialResponse(user: string, token: string): string {
  return Buffer.from(`user=${user}\x01auth=Bearer ${token}\x01\x01`, 'utf8').toString('base64');
}

type TokenCallback = (error: Error | null, token?: string) => void;

interface LoginError extends Error {
  code?: string;
  responseCode?: number;
}

export async function loginWithXOAuth2(
  connection: SMTPConnection,
  user: string,
  tokens: OAuth2TokenProvider,
  /** runs one step of the session, settling on 'error'/'end' too (smart-host-client's phase) */
  step: (start: (done: (error?: Error) => void) => void) => Promise<void>,
): Promise<void> {
  // A token endpoint failure is thrown here as an OAuth2Error (code EOAUTH2).
  let current = (await tokens.getToken()).token;
  // Written from nodemailer's callbacks: an object, so reads after `await` see them.
  const state: { renewed: boolean; renewalError: OAuth2Error | undefined } = {
    renewed: false,
    renewalError: undefined,
  };

  // A function, not a read of `state`: TypeScript would keep a narrowing from before the await.
  const renewalFailure = (): OAuth2Error | undefined => state.renewalError;

  const generator = {
    getToken(renew: boolean, callback: TokenCallback): void {
      if (!renew) {
        callback(null, current);
        return;
      }
      state.renewed = true;
      tokens
        .renew(current)
        .then(
          (fresh) => {
            current = fresh.token;
            callback(null, fresh.token);
          },
          (error: unknown) => {
            state.renewalError = asOAuth2Error(error);
            callback(state.renewalError);
          },
        )
        // A throw inside nodemailer's callback must not become an unhandled rejection
        // (that ends the process); the login then fails on its own socket timeout.
        .catch(() => undefined);
    },
    buildXOAuth2Token: (token: string) => xoauth2InitialResponse(user, token),
  };

  const login = () =>
    step((done) => {
      connection.login(
        // nodemailer types `oauth2` as its own XOAuth2 class; it calls only these two methods.
        { user, method: 'XOAUTH2', oauth2: generator as never },
        (error?: Error | null) => {
          done(error ?? undefined);
        },
      );
    });

  try {
    await login();
    return;
  } catch (error) {
    if (state.renewalError) throw state.renewalError;
    if (state.renewed || !isPermanentRejection(error)) {
      reportIfRejectedAgain(error, state.renewed, tokens);
      throw error;
    }
  }
  // A plain 535 to the first token: renew once and log in again on the same session.
  state.renewed = true;
  try {
    current = (await tokens.renew(current)).token;
  } catch (error) {
    throw asOAuth2Error(error);
  }
  try {
    await login();
  } catch (error) {
    const renewalError = renewalFailure();
    if (renewalError) throw renewalError;
    reportIfRejectedAgain(error, true, tokens);
    throw error;
  }
}

function asOAuth2Error(error: unknown): OAuth2Error {
  return error instanceof OAuth2Error
    ? error
    : new OAuth2Error('unreachable', String(error), { cause: error });
}

function isPermanentRejection(error: unknown): boolean {
  const { code, responseCode } = error as LoginError;
  return code === 'EAUTH' && responseCode !== undefined && responseCode >= 500;
}

/** A fresh token rejected again: say so once (event oauth2.failed), keep the smart host's reply. */
function reportIfRejectedAgain(
  error: unknown,
  renewed: boolean,
  tokens: OAuth2TokenProvider,
): void {
  if (renewed && isPermanentRejection(error)) {
    const reply = (error as { response?: string }).response ?? (error as Error).message;
    tokens.reportFailure(
      new OAuth2Error('token_rejected', `the smart host rejected a fresh OAuth2 token: ${reply}`),
    );
  }
}
