// Shared by the fake OAuth2 server tests: a real HTTPS client trusting the test CA.
import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';

export interface HttpsReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON (an OAuth2 token or error response). */
  json: Record<string, unknown>;
}

export interface HttpsRequestOptions {
  ca: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

/** One request on a fresh connection (no agent: nothing lingers after stop()). */
export function httpsRequest(url: string, options: HttpsRequestOptions): Promise<HttpsReply> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      {
        method: options.method ?? 'GET',
        ca: options.ca,
        agent: false,
        headers: options.headers,
        timeout: 5_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.once('error', reject);
        response.once('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> = {};
          if ((response.headers['content-type'] ?? '').startsWith('application/json')) {
            json = JSON.parse(body) as Record<string, unknown>;
          }
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body, json });
        });
      },
    );
    outgoing.once('timeout', () => outgoing.destroy(new Error(`Timed out: ${url}`)));
    outgoing.once('error', reject);
    outgoing.end(options.body);
  });
}

/** POST application/x-www-form-urlencoded, as every OAuth2 client does. */
export function postForm(
  url: string,
  fields: Record<string, string>,
  ca: string,
  headers: Record<string, string> = {},
): Promise<HttpsReply> {
  return httpsRequest(url, {
    method: 'POST',
    ca,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

/** RFC 6749 section 2.3.1: id and secret form-encoded, then base64. */
export function basicAuth(clientId: string, clientSecret: string): Record<string, string> {
  const encode = (value: string) => encodeURIComponent(value).replaceAll('%20', '+');
  const credentials = Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64');
  return { Authorization: `Basic ${credentials}` };
}

/** The token of a successful response, failing the test with the error body otherwise. */
export function accessToken(reply: HttpsReply): string {
  const token = reply.json.access_token;
  if (reply.status !== 200 || typeof token !== 'string') {
    throw new Error(`Expected a token, got ${reply.status} ${reply.body}`);
  }
  return token;
}
