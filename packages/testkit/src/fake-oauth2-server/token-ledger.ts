import { randomBytes } from 'node:crypto';
import type { FakeOAuth2RefreshToken } from './types.ts';

interface AccessTokenRecord {
  /** undefined: a client-credentials token, good for any mailbox. */
  user: string | undefined;
  scope: string;
  expiresAtMs: number;
  revoked: boolean;
}

export interface RefreshTokenRecord {
  clientId: string;
  user: string;
  scope: string;
}

/** What a token is for: the grant decides, the ledger issues. */
export interface TokenSubject {
  clientId: string;
  user: string | undefined;
  scope: string;
}

/** The successful token response of RFC 6749 section 5.1. */
export interface TokenResponseBody {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  refresh_token?: string;
}

/** Opaque and unguessable, like real access tokens are to their clients. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Every access and refresh token the fake authorization server has issued. */
export class TokenLedger {
  readonly #access = new Map<string, AccessTokenRecord>();
  readonly #refresh = new Map<string, RefreshTokenRecord>();
  readonly #lifetimeSeconds: number;

  constructor(lifetimeSeconds: number, initialRefreshTokens: readonly FakeOAuth2RefreshToken[]) {
    this.#lifetimeSeconds = lifetimeSeconds;
    for (const { token, ...record } of initialRefreshTokens) this.#refresh.set(token, record);
  }

  /** An access token, plus a refresh token when `refresh` is 'new'. */
  issue(subject: TokenSubject, refresh: 'new' | 'none'): TokenResponseBody {
    const accessToken = randomToken();
    this.#access.set(accessToken, {
      user: subject.user,
      scope: subject.scope,
      expiresAtMs: Date.now() + this.#lifetimeSeconds * 1000,
      revoked: false,
    });
    const body: TokenResponseBody = {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: this.#lifetimeSeconds,
      scope: subject.scope,
    };
    if (refresh === 'new' && subject.user !== undefined) {
      const refreshToken = randomToken(48);
      this.#refresh.set(refreshToken, {
        clientId: subject.clientId,
        user: subject.user,
        scope: subject.scope,
      });
      body.refresh_token = refreshToken;
    }
    return body;
  }

  refreshToken(token: string): RefreshTokenRecord | undefined {
    return this.#refresh.get(token);
  }

  /** Rotation: the old refresh token stops working once a new one is handed out. */
  forgetRefreshToken(token: string): void {
    this.#refresh.delete(token);
  }

  currentRefreshTokens(): string[] {
    return [...this.#refresh.keys()];
  }

  validate(user: string, token: string): boolean {
    const record = this.#access.get(token);
    if (record === undefined || record.revoked || Date.now() >= record.expiresAtMs) return false;
    // Mailbox addresses compare case-insensitively, as Exchange and Gmail do.
    return record.user === undefined || record.user.toLowerCase() === user.toLowerCase();
  }

  revokeAll(): void {
    for (const record of this.#access.values()) record.revoked = true;
  }
}
