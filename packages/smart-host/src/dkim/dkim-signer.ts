import { Readable } from 'node:stream';
import type { DKIMSignOptions } from 'mailauth';
import type { dkimSign as DkimSign } from 'mailauth/lib/dkim/sign.js';
import { toCrlf } from './crlf.ts';
import { DkimError } from './dkim-error.ts';
import type { DkimKeyDirectory } from './key-directory.ts';
import { fromDomain } from './from-domain.ts';

// Signs a message just before it goes to the smart host (docs/reference.md
// "DKIM signing"): relaxed/relaxed, with every key of its From: domain (an RSA
// and an Ed25519 key side by side is what RFC 8463 §4.1 suggests), one
// DKIM-Signature field per key in front of the stored bytes. The body is never
// joined into one buffer: the library hashes the chunks as a stream and the
// signature goes out as one more chunk.

/**
 * The fields signed when present: the ones readers see and replies use, the
 * MIME structure, and the list fields one-click unsubscribe requires signed
 * (RFC 8058 §4). Received, Return-Path and the like are left out: hops add them.
 */
const DKIM_SIGNED_FIELDS: readonly string[] = [
  'From',
  'Sender',
  'Reply-To',
  'Subject',
  'Date',
  'Message-ID',
  'To',
  'Cc',
  'In-Reply-To',
  'References',
  'MIME-Version',
  'Content-Type',
  'Content-Transfer-Encoding',
  'List-Id',
  'List-Unsubscribe',
  'List-Unsubscribe-Post',
];

export interface DkimSigner {
  /**
   * The message as it must be sent: with DKIM-Signature fields in front when
   * its From: domain has keys, else as given. Rejects with a DkimError when it
   * must be signed and cannot be: it is then not sent at all.
   */
  sign(message: readonly Buffer[]): Promise<readonly Buffer[]>;
}

export function createDkimSigner(keys: DkimKeyDirectory): DkimSigner {
  return {
    async sign(message) {
      const domain = fromDomain(message);
      if (domain === undefined) return message;
      const domainKeys = await keys.keysFor(domain);
      if (domainKeys.length === 0) return message;
      const sent = toCrlf(message);
      // The signer reads signatureData only; the library's types also want a
      // key at the top level, which it ignores.
      const options: Omit<DKIMSignOptions, 'signingDomain' | 'selector' | 'privateKey'> = {
        canonicalization: 'relaxed/relaxed',
        headerList: [...DKIM_SIGNED_FIELDS],
        // Refuse rather than sign anything RFC 6376/8301 forbid.
        strict: true,
        signatureData: domainKeys.map((key) => ({
          signingDomain: key.domain,
          selector: key.selector,
          privateKey: key.pem,
          algorithm: key.algorithm,
        })),
      };
      let result: Awaited<ReturnType<typeof DkimSign>>;
      try {
        // Loaded at the first signature (~16 MB with joi and its dependencies): a
        // sender without DKIM_KEYS_DIR never loads it.
        const { dkimSign } = await import('mailauth/lib/dkim/sign.js');
        result = await dkimSign(Readable.from(sent), options as DKIMSignOptions);
      } catch (error) {
        throw new DkimError(domain, undefined, `signing failed (${String(error)})`);
      }
      const failed = result.errors[0];
      if (failed !== undefined || result.signatures === '') {
        throw new DkimError(
          domain,
          failed?.selector,
          `signing failed (${failed?.err.code ?? 'no signature'}: ${failed?.err.message ?? 'none made'})`,
        );
      }
      return [Buffer.from(result.signatures), ...sent];
    },
  };
}
