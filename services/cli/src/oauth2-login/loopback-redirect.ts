import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LoginError } from './login-error.ts';

// The native-app redirect of RFC 8252 7.3: the browser is sent back to
// http://127.0.0.1:<port>/ with the authorization code, and this listener,
// reachable from this machine only, takes it.

export interface LoopbackRedirect {
  /** http://127.0.0.1:<port>/ */
  readonly redirectUri: string;
  /** the authorization code, once the browser comes back with it */
  readonly code: Promise<string>;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1, a free port; rejects `code` after `timeoutMs`. */
export async function listenForRedirect(
  state: string,
  timeoutMs: number,
): Promise<LoopbackRedirect> {
  let resolveCode: (code: string) => void = () => undefined;
  let rejectCode: (error: Error) => void = () => undefined;
  const code = new Promise<string>((resolve, reject) => {
    resolveCode = resolve;
    rejectCode = reject;
  });
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (request.method !== 'GET' || url.pathname !== '/') {
      page(response, 404, 'Not found.');
      return;
    }
    const query = url.searchParams;
    // RFC 6749 10.12: only the answer to our own request counts (state), so another
    // page cannot slip its code in; a stray request is answered and ignored.
    if (query.get('state') !== state) {
      page(response, 400, 'This is not the answer to the sign-in in progress; it was ignored.');
      return;
    }
    const error = query.get('error');
    if (error !== null) {
      const description = query.get('error_description');
      page(response, 200, `The sign-in failed (${error}). You can close this window.`);
      rejectCode(
        new LoginError(
          `the sign-in failed: ${error}${description === null ? '' : `: ${description}`}`,
          error === 'access_denied'
            ? 'Run the command again and allow the access asked for.'
            : 'Check the app (OAuth client) settings and SMART_HOST_OAUTH2_SCOPE, then run the command again.',
        ),
      );
      return;
    }
    const given = query.get('code');
    if (given === null || given === '') {
      page(response, 400, 'The answer carries no authorization code.');
      return;
    }
    page(response, 200, 'Signed in. You can close this window and return to the terminal.');
    resolveCode(given);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const timer = setTimeout(() => {
    rejectCode(
      new LoginError(
        `no sign-in within ${formatMinutes(timeoutMs)}`,
        'Run the command again (--timeout gives more time) and open the address in a browser on this machine.',
      ),
    );
  }, timeoutMs);
  return {
    redirectUri: `http://127.0.0.1:${port}/`,
    code,
    async close() {
      clearTimeout(timer);
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
}

function page(response: ServerResponse, status: number, text: string): void {
  // The text can carry the error code from the query string: escaped, never markup.
  const escaped = text.replace(/[&<>"']/g, (c) => `&#${String(c.charCodeAt(0))};`);
  const html = `<!doctype html><meta charset="utf-8"><title>smtp-relay</title><p>${escaped}</p>\n`;
  response.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html),
    'cache-control': 'no-store',
    // One answer per connection: close() then need not wait for idle keep-alives.
    connection: 'close',
  });
  response.end(html);
}

function formatMinutes(ms: number): string {
  const minutes = ms / 60_000;
  return minutes >= 1 ? `${String(Math.round(minutes))} minutes` : `${String(ms / 1000)} s`;
}
