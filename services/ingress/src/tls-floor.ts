import type tls from 'node:tls';

/** What the SMTP listeners pass to their TLS context (STARTTLS and SMTPS alike). */
export interface TlsFloorOptions {
  readonly minVersion: tls.SecureVersion;
  readonly ciphers?: string;
}

/**
 * SMTP_TLS_MIN_VERSION. smtp-server's own default is TLSv1 ("sadly there are
 * very old SMTP clients out there"), so without an explicit floor only
 * OpenSSL's defaults kept TLS 1.0 out. For TLSv1 and TLSv1.1 (old printers)
 * OpenSSL 3's default security level 1 still refuses those versions, whatever
 * minVersion says (the handshake fails with "unsupported protocol" / alert
 * protocol version), and the SHA-1 signatures they need: level 0 on this
 * listener is the only way to let them in (checked with Node 24's OpenSSL 3.5);
 * a current client still negotiates TLS 1.3 there.
 */
export function tlsFloorOptions(minVersion: tls.SecureVersion): TlsFloorOptions {
  return minVersion === 'TLSv1' || minVersion === 'TLSv1.1'
    ? { minVersion, ciphers: 'DEFAULT@SECLEVEL=0' }
    : { minVersion };
}
