import type { DkimKey } from './dkim-key.ts';

// The TXT record receivers look up to verify a signature (RFC 6376 §3.6.1).

export interface DkimDnsRecord {
  /** `<selector>._domainkey.<domain>` */
  readonly name: string;
  /** `v=DKIM1; k=rsa; p=...` */
  readonly value: string;
}

// RFC 1035 §3.3.14: a TXT record is a list of strings of at most 255 bytes;
// verifiers join them (RFC 6376 §3.6.2.2).
const TXT_STRING_BYTES = 255;

export function dkimDnsRecord(key: DkimKey): DkimDnsRecord {
  const name = `${key.selector}._domainkey.${key.domain}`;
  if (key.algorithm === 'ed25519-sha256') {
    // RFC 8463 §4.2: p= is the raw 32-byte public key, not an ASN.1 structure.
    const { x } = key.publicKey.export({ format: 'jwk' });
    const raw = Buffer.from(x ?? '', 'base64url').toString('base64');
    return { name, value: `v=DKIM1; k=ed25519; p=${raw}` };
  }
  // The SubjectPublicKeyInfo DER, as opendkim-genkey and every verifier use it.
  const spki = key.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  return { name, value: `v=DKIM1; k=rsa; p=${spki}` };
}

/** The record as one zone-file line, its value split into strings of at most 255 bytes. */
export function zoneFileLine(record: DkimDnsRecord): string {
  const strings: string[] = [];
  for (let at = 0; at < record.value.length; at += TXT_STRING_BYTES) {
    strings.push(`"${record.value.slice(at, at + TXT_STRING_BYTES)}"`);
  }
  const text = strings.length === 1 ? (strings[0] ?? '') : `( ${strings.join(' ')} )`;
  // The trailing dot: a name without it is relative to the zone's $ORIGIN.
  return `${record.name}. IN TXT ${text}`;
}
