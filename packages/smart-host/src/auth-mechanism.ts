import type { AuthMechanism } from '@smtp-relay/config';

/** The mechanisms in the EHLO reply's AUTH line ("250-AUTH PLAIN LOGIN CRAM-MD5"). */
export function offeredMechanisms(ehloReply: string): string[] {
  const mechanisms = new Set<string>();
  for (const line of ehloReply.split(/\r?\n/)) {
    const match = /^250[ -]AUTH[ =](.*)$/i.exec(line.trim());
    if (!match?.[1]) continue;
    for (const mechanism of match[1].trim().split(/\s+/)) mechanisms.add(mechanism.toUpperCase());
  }
  return [...mechanisms];
}

export type MechanismChoice =
  | { readonly kind: 'use'; readonly mechanism: string | undefined }
  | { readonly kind: 'none-allowed'; readonly offered: readonly string[] };

/**
 * With OAuth2 configured: XOAUTH2, if the smart host offers it (and the allow-list,
 * when set, has it). Otherwise, with SMART_HOST_AUTH_METHODS set, the first allowed
 * mechanism (in the order the operator listed them) that the smart host offers;
 * never one outside the list ("never CRAM-MD5" must hold even if it is all the host
 * offers). Without the setting, nodemailer's choice among what is offered (undefined).
 */
export function chooseMechanism(
  allowed: readonly AuthMechanism[] | undefined,
  offered: readonly string[],
  { oauth2 = false }: { readonly oauth2?: boolean } = {},
): MechanismChoice {
  if (oauth2) {
    const usable = offered.includes('XOAUTH2') && (allowed?.includes('XOAUTH2') ?? true);
    return usable ? { kind: 'use', mechanism: 'XOAUTH2' } : { kind: 'none-allowed', offered };
  }
  // Without token settings nodemailer cannot do XOAUTH2: it would silently fall back
  // to the first offered mechanism, outside the list.
  if (allowed === undefined) return { kind: 'use', mechanism: undefined };
  const mechanism = allowed.find(
    (candidate) => candidate !== 'XOAUTH2' && offered.includes(candidate),
  );
  return mechanism === undefined ? { kind: 'none-allowed', offered } : { kind: 'use', mechanism };
}
