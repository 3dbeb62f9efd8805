import type { IncomingMessage, ServerResponse } from 'node:http';
import { aadFailure, type OAuth2Failure } from './oauth2-failure.ts';

/** Token requests are a few hundred bytes; a JWT assertion a few KiB. */
const MAX_BODY_BYTES = 64 * 1024;

/** The `application/x-www-form-urlencoded` body of a POST (RFC 6749 section 3.2). */
export async function readForm(request: IncomingMessage): Promise<URLSearchParams | OAuth2Failure> {
  const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  const chunks: Buffer[] = [];
  let size = 0;
  // Read to the end even when too large: leaving the loop early would destroy the
  // socket, and the client would never see the 413.
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  if (size > MAX_BODY_BYTES) {
    return aadFailure('invalid_request', 90014, 'The request body is too large.', 413);
  }
  if (contentType !== 'application/x-www-form-urlencoded') {
    return aadFailure(
      'invalid_request',
      900144,
      "The request body must be 'application/x-www-form-urlencoded'.",
    );
  }
  const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
  // RFC 6749 section 3.1: "Request and response parameters MUST NOT be included more than once."
  for (const name of new Set(form.keys())) {
    if (form.getAll(name).length > 1) {
      return aadFailure('invalid_request', 90015, `Parameter '${name}' is duplicated.`);
    }
  }
  return form;
}

export interface PresentedClient {
  clientId: string | undefined;
  clientSecret: string | undefined;
}

function formDecode(value: string): string {
  return decodeURIComponent(value.replaceAll('+', ' '));
}

/**
 * client_id/client_secret from HTTP Basic (RFC 6749 section 2.3.1: each form-encoded,
 * then base64) or from the form; both at once must name the same client.
 */
export function presentedClient(
  request: IncomingMessage,
  form: URLSearchParams,
): PresentedClient | OAuth2Failure {
  const formClient = {
    clientId: form.get('client_id') ?? undefined,
    clientSecret: form.get('client_secret') ?? undefined,
  };
  const authorization = request.headers.authorization;
  if (authorization === undefined) return formClient;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
  const decoded = match?.[1] === undefined ? '' : Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) {
    return aadFailure('invalid_client', 7000216, 'Malformed HTTP Basic client credentials.', 401);
  }
  let basic: PresentedClient;
  try {
    basic = {
      clientId: formDecode(decoded.slice(0, colon)),
      clientSecret: formDecode(decoded.slice(colon + 1)),
    };
  } catch {
    return aadFailure('invalid_client', 7000216, 'Malformed HTTP Basic client credentials.', 401);
  }
  if (formClient.clientSecret !== undefined) {
    // RFC 6749 section 2.3: a client MUST NOT use more than one authentication method.
    return aadFailure('invalid_request', 90023, 'More than one client authentication method.');
  }
  if (formClient.clientId !== undefined && formClient.clientId !== basic.clientId) {
    return aadFailure('invalid_request', 90023, 'client_id differs from the Basic credentials.');
  }
  return basic;
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: object,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(body);
  // RFC 6749 section 5.1: token responses must not be cached.
  response.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(payload),
    'Cache-Control': 'no-store',
    Pragma: 'no-cache',
  });
  response.end(payload);
}

export function sendFailure(response: ServerResponse, failure: OAuth2Failure): void {
  const { status, ...body } = failure;
  // RFC 6749 section 5.2: a 401 invalid_client names the scheme the client may use.
  const headers: Record<string, string> =
    status === 401 ? { 'WWW-Authenticate': 'Basic realm="token"' } : {};
  sendJson(response, status, body, headers);
}

export function sendPage(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  response.end(text);
}
