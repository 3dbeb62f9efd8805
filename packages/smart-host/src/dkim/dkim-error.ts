/**
 * A message that must be signed could not be: its key is unreadable or unusable,
 * or signing failed. Classified as systemic (`EDKIM`, category 'dkim'): the mail
 * waits and is never sent unsigned (docs/reference.md "DKIM signing"). The
 * reason never holds key material.
 */
export class DkimError extends Error {
  readonly code = 'EDKIM';
  /** The From: domain the message is signed for (a lowercase A-label). */
  readonly domain: string;
  /** The key's selector; undefined when the folder itself could not be read. */
  readonly selector: string | undefined;
  readonly reason: string;

  constructor(domain: string, selector: string | undefined, reason: string) {
    const key = selector === undefined ? domain : `${domain}/${selector}.pem`;
    super(`DKIM key ${key} cannot be used: ${reason}`);
    this.name = 'DkimError';
    this.domain = domain;
    this.selector = selector;
    this.reason = reason;
  }
}
