import ipaddr from 'ipaddr.js';
import { InvalidValueError, quote } from './errors.ts';
import { isDomainName, isIPv6 } from './network-values.ts';
import type { AuthMechanism } from './types.ts';

/** RFC 5321 4.1.3 address literal: `[192.0.2.7]` or `[IPv6:2001:db8::7]`. */
function isAddressLiteral(text: string): boolean {
  const inner = /^\[(?<inner>.+)\]$/.exec(text)?.groups?.['inner'];
  if (inner === undefined) return false;
  if (inner.toLowerCase().startsWith('ipv6:')) return isIPv6(inner.slice(5));
  return ipaddr.IPv4.isValidFourPartDecimal(inner);
}

/** HELO_NAME: what EHLO may carry (RFC 5321 4.1.1.1): a domain or an address literal. */
export function parseHeloName(text: string): string {
  if (isDomainName(text) || isAddressLiteral(text)) return text;
  throw new InvalidValueError(
    `must be a domain name such as mail.example.com or an address literal such as [192.0.2.7], got ${quote(text)}`,
  );
}

// RFC 5322 dot-atom local part; quoted local parts are legal but never needed for a postmaster.
const ATOM = "[a-z0-9!#$%&'*+/=?^_`{|}~-]+";
const LOCAL_PART = new RegExp(`^${ATOM}(?:\\.${ATOM})*$`, 'i');
const MAX_ADDRESS_LENGTH = 254;

/** A bare mail address (`postmaster@example.com`), no display name or angle brackets. */
export function parseMailAddress(text: string): string {
  const at = text.lastIndexOf('@');
  const local = text.slice(0, at);
  const domain = text.slice(at + 1);
  const valid =
    at > 0 &&
    text.length <= MAX_ADDRESS_LENGTH &&
    LOCAL_PART.test(local) &&
    (isDomainName(domain) || isAddressLiteral(domain));
  if (valid) return text;
  throw new InvalidValueError(
    `must be a mail address such as postmaster@example.com (no display name), got ${quote(text)}`,
  );
}

const AUTH_MECHANISMS: readonly AuthMechanism[] = ['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2'];

function isAuthMechanism(name: string): name is AuthMechanism {
  return (AUTH_MECHANISMS as readonly string[]).includes(name);
}

/** SMART_HOST_AUTH_METHODS: `PLAIN,LOGIN` (any case, commas and/or spaces), de-duplicated. */
export function parseAuthMechanisms(text: string): readonly AuthMechanism[] {
  const known = AUTH_MECHANISMS.join(', ');
  const mechanisms = new Set<AuthMechanism>();
  const reasons: string[] = [];
  for (const entry of text.split(/[\s,]+/).filter((part) => part !== '')) {
    const name = entry.toUpperCase();
    if (isAuthMechanism(name)) mechanisms.add(name);
    else reasons.push(`entries must be one of ${known}, got ${quote(entry)}`);
  }
  const [first, ...rest] = reasons;
  if (first !== undefined) throw new InvalidValueError(first, ...rest);
  if (mechanisms.size === 0) throw new InvalidValueError(`must list at least one of ${known}`);
  return [...mechanisms];
}
