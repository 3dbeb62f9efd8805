import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import { OAuth2Error, reasonOf } from './oauth2-error.ts';

// A form POST to an OAuth2 token endpoint (RFC 6749 4.x / 5). node:https rather
// than fetch: the endpoint's certificate must be checked against the system CAs
// plus SMART_HOST_CA_FILE, which global fetch cannot take without another package.

export interface TokenResponse {
  readonly accessToken: string;
  /** seconds; endpoints that omit it get a conservative default */
  readonly expiresIn: number;
  readonly scope: string | undefined;
  /** a new refresh token when the endpoint rotates them */
  readonly refreshToken: string | undefined;
}

export interface TokenEndpointOptions {
  /** extra CA (PEM), added to the system CAs */
  readonly extraCa: Buffer | undefined;
  readonly timeoutMs: number;
}

/** Without expires_in, assume the shortest lifetime the big providers use (1 h). */
const DEFAULT_EXPIRES_IN_S = 3600;
const MAX_RESPONSE_BYTES = 64 * 1024;

export type TokenEndpointCall = (
  url: string,
  form: Readonly<Record<string, string>>,
) => Promise<Record<string, unknown>>;

/** Posts `form` and returns the JSON answer of a 2xx; throws OAuth2Error otherwise. */
export function createTokenEndpointCall(options: TokenEndpointOptions): TokenEndpointCall {
  const ca = options.extraCa ? [...rootCertificates, options.extraCa.toString('utf8')] : undefined;
  return (url, form) =>
    new Promise((resolve, reject) => {
      const target = new URL(url);
      const body = new URLSearchParams(form).toString();
      const transport = target.protocol === 'http:' ? http : https;
      const request = transport.request(
        target,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'content-length': Buffer.byteLength(body),
            accept: 'application/json',
          },
          timeout: options.timeoutMs,
          ...(ca ? { ca } : {}),
          minVersion: 'TLSv1.2',
        },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_RESPONSE_BYTES) {
              request.destroy(new Error('token endpoint answer too large'));
              return;
            }
            chunks.push(chunk);
          });
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            const json = parseJson(Buffer.concat(chunks).toString('utf8'));
            if (status >= 200 && status < 300 && json !== undefined) {
              resolve(json);
              return;
            }
            reject(endpointRefusal(status, json, target));
          });
          response.on('error', (error) => {
            reject(unreachable(target, error));
          });
        },
      );
      // `timeout` is Node's idle timer; the deadline bounds the whole request, so a
      // slowly trickling endpoint cannot outlive the refresh lock (token-provider.ts).
      const deadline = setTimeout(() => {
        request.destroy(new Error(`no answer within ${String(options.timeoutMs)} ms`));
      }, options.timeoutMs);
      request.on('close', () => {
        clearTimeout(deadline);
      });
      request.on('timeout', () => {
        request.destroy(new Error(`no answer within ${String(options.timeoutMs)} ms`));
      });
      request.on('error', (error) => {
        reject(unreachable(target, error));
      });
      request.end(body);
    });
}

/** Reads a successful token answer; a malformed one counts as the endpoint failing. */
export function toTokenResponse(json: Record<string, unknown>): TokenResponse {
  const accessToken = json['access_token'];
  if (typeof accessToken !== 'string' || accessToken === '') {
    throw new OAuth2Error('unreachable', 'token endpoint answered without an access_token');
  }
  const expiresIn = Number(json['expires_in']);
  const scope = json['scope'];
  const refreshToken = json['refresh_token'];
  return {
    accessToken,
    expiresIn: Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : DEFAULT_EXPIRES_IN_S,
    scope: typeof scope === 'string' ? scope : undefined,
    refreshToken:
      typeof refreshToken === 'string' && refreshToken !== '' ? refreshToken : undefined,
  };
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function endpointRefusal(status: number, json: Record<string, unknown> | undefined, url: URL) {
  const oauthError = typeof json?.['error'] === 'string' ? json['error'] : undefined;
  const description =
    typeof json?.['error_description'] === 'string'
      ? // Microsoft appends trace and correlation ids on new lines: the first line says it.
        (json['error_description'].split(/\r?\n/)[0] ?? '').slice(0, 500)
      : undefined;
  const what = oauthError ?? `HTTP ${String(status)}`;
  return new OAuth2Error(
    reasonOf(oauthError, status),
    `token endpoint ${url.host} refused: ${what}${description ? ` (${description})` : ''}`,
    { oauthError, description, status },
  );
}

function unreachable(url: URL, error: Error): OAuth2Error {
  return new OAuth2Error(
    'unreachable',
    `token endpoint ${url.host} unreachable: ${error.message}`,
    {
      cause: error,
    },
  );
}
