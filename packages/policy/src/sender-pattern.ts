/**
 * One pattern of SMTP_SENDERS_FILE (docs/reference.md "Sender address rules"):
 * `user@domain` one address, `*@domain` every address at that domain (not its
 * subdomains), `*` any address. Kept lower-cased: addresses are compared
 * case-insensitively, local part included, as Postfix's smtpd_sender_login_maps
 * lookups are; an operator writing `Scan@Example.com` means the same mailbox.
 */
export type SenderPattern =
  | { readonly kind: 'any' }
  | { readonly kind: 'domain'; readonly domain: string }
  | { readonly kind: 'address'; readonly address: string };

export type SenderPatternResult =
  | { readonly ok: true; readonly pattern: SenderPattern }
  | { readonly ok: false; readonly problem: string };

const EXPECTED = 'expected "user@domain", "*@domain" or "*"';

function problem(text: string): SenderPatternResult {
  return { ok: false, problem: text };
}

/** Reads one pattern as written in the file; a problem says what is wrong with it. */
export function parseSenderPattern(text: string): SenderPatternResult {
  if (text === '*') return { ok: true, pattern: { kind: 'any' } };
  if (text.includes('<') || text.includes('>')) {
    return problem(`"${text}": write the address without angle brackets`);
  }
  const at = text.indexOf('@');
  if (at === -1 || at !== text.lastIndexOf('@')) return problem(`"${text}": ${EXPECTED}`);
  const local = text.slice(0, at);
  const domain = text.slice(at + 1).toLowerCase();
  if (local === '' || domain === '') return problem(`"${text}": ${EXPECTED}`);
  if (domain.includes('*')) {
    return problem(`"${text}": a domain has no wildcard (list each domain, subdomains too)`);
  }
  if (local === '*') return { ok: true, pattern: { kind: 'domain', domain } };
  if (local.includes('*')) {
    return problem(`"${text}": "*" stands for a whole local part ("*@domain") or any address`);
  }
  return { ok: true, pattern: { kind: 'address', address: `${local.toLowerCase()}@${domain}` } };
}

/** Whether the MAIL FROM address (as smtp-server gives it, without `<>`) fits the pattern. */
export function matchesSenderPattern(pattern: SenderPattern, address: string): boolean {
  const lower = address.toLowerCase();
  switch (pattern.kind) {
    case 'any':
      return true;
    case 'address':
      return lower === pattern.address;
    case 'domain': {
      const at = lower.lastIndexOf('@');
      return at > 0 && lower.slice(at + 1) === pattern.domain;
    }
  }
}
