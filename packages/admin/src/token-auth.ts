import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * ADMIN_TOKEN as a Bearer token (API clients), or as the password of HTTP
 * Basic authentication with any user name (so a browser can open /ui and
 * prompt for it). Without a configured token nothing is accepted.
 */
export function isAuthorized(
  authorization: string | undefined,
  token: string | undefined,
): boolean {
  if (token === undefined || token === '' || authorization === undefined) return false;
  const parts = authorization.trim().split(/\s+/);
  if (parts.length !== 2) return false;
  const [scheme, credentials = ''] = parts;
  let given: string | undefined;
  if (scheme?.toLowerCase() === 'bearer') given = credentials;
  if (scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    given = colon >= 0 ? decoded.slice(colon + 1) : undefined;
  }
  if (given === undefined || given === '') return false;
  // Equal-length digests: the comparison time says nothing about the token.
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(token));
}
