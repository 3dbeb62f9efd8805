import { createPrivateKey } from 'node:crypto';
import { isIP } from 'node:net';
import { InvalidValueError, quote } from './errors.ts';
import { readTextFile } from './file-values.ts';
import type { OAuth2Grant, OAuth2Provider } from './types.ts';

/**
 * SMART_HOST_OAUTH2_TOKEN_URL: `https://`, or `http://` on a loopback address only
 * (a client secret or refresh token must never cross a network in clear text).
 */
export function parseTokenUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidValueError(
      `must be a URL such as https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token, got ${quote(text)}`,
    );
  }
  if (url.protocol === 'https:') return url.href;
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return url.href;
  throw new InvalidValueError(
    `must start with https:// (http:// only on a loopback address), got ${quote(text)}`,
  );
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** The parts of a Google service-account JSON key the JWT bearer grant needs. */
export interface ServiceAccountKey {
  readonly clientEmail: string;
  readonly privateKey: string;
  readonly privateKeyId: string | undefined;
  readonly tokenUri: string | undefined;
}

/** Reads and checks a service-account key file ("type": "service_account", with its key). */
export function readServiceAccountKey(path: string): ServiceAccountKey {
  const text = readTextFile(path);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new InvalidValueError(
      `must be a service-account JSON key, but ${quote(path)} is not JSON`,
    );
  }
  const record = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  const field = (name: string): string | undefined =>
    typeof record[name] === 'string' ? record[name] : undefined;
  const clientEmail = field('client_email');
  const privateKey = field('private_key');
  const reasons: string[] = [];
  if (record['type'] !== 'service_account') {
    reasons.push(`${quote(path)} is not a service-account key ("type": "service_account")`);
  }
  if (clientEmail === undefined) reasons.push(`${quote(path)} has no "client_email"`);
  if (privateKey === undefined) {
    reasons.push(`${quote(path)} has no "private_key"`);
  } else {
    try {
      createPrivateKey(privateKey);
    } catch {
      reasons.push(`the "private_key" in ${quote(path)} is not a PEM private key`);
    }
  }
  const [first, ...rest] = reasons;
  if (first !== undefined) throw new InvalidValueError(first, ...rest);
  return {
    clientEmail: clientEmail ?? '',
    privateKey: privateKey ?? '',
    privateKeyId: field('private_key_id'),
    tokenUri: field('token_uri'),
  };
}

export function parseServiceAccountFile(path: string): string {
  readServiceAccountKey(path);
  return path;
}

/** The documented token endpoint per provider; undefined for generic (it must be given). */
export function defaultTokenUrl(provider: OAuth2Provider, tenant: string): string | undefined {
  switch (provider) {
    case 'microsoft':
      return `https://login.microsoftonline.com/${encodeURIComponent(tenant)}/oauth2/v2.0/token`;
    case 'google':
      return 'https://oauth2.googleapis.com/token';
    case 'generic':
      return undefined;
  }
}

/** The documented scope per provider and grant. */
export function defaultScope(
  provider: OAuth2Provider,
  grant: OAuth2Grant['kind'],
): string | undefined {
  switch (provider) {
    case 'microsoft':
      return grant === 'client-credentials'
        ? 'https://outlook.office365.com/.default'
        : 'https://outlook.office.com/SMTP.Send offline_access';
    case 'google':
      return 'https://mail.google.com/';
    case 'generic':
      return undefined;
  }
}

/** Tenants that name no directory: the client credentials grant needs the real one. */
export const MULTI_TENANT_ALIASES: readonly string[] = ['common', 'organizations', 'consumers'];

// A tenant is a GUID or a domain; it goes into the token URL's path.
const TENANT = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;

export function parseTenant(text: string): string {
  if (TENANT.test(text)) return text;
  throw new InvalidValueError(
    `must be a tenant id (GUID) or domain such as example.onmicrosoft.com, got ${quote(text)}`,
  );
}
