import type { Logger } from '@smtp-relay/observability';
import {
  createDkimSigner,
  DkimError,
  openDkimKeyDirectory,
  type DkimSigner,
  readWholeBody,
  type SmartHostClient,
} from '@smtp-relay/smart-host';

// DKIM_KEYS_DIR (docs/reference.md "DKIM signing"): the smart-host client the
// worker uses, signing each message inside send(), so after everything
// deliver.ts does to the stored bytes (header rewriting included) and just
// before the bytes leave. A message that must be signed and cannot be is not
// sent: the DkimError (EDKIM) is classified systemic ('dkim') and holds it.

/** Opens DKIM_KEYS_DIR and logs what it holds; unusable keys hold their mail only when used. */
export async function startDkimSigning(dir: string, logger: Logger): Promise<DkimSigner> {
  const keys = openDkimKeyDirectory(dir);
  const { usable, unusable } = await keys.survey();
  logger.info(
    {
      event: 'dkim.keys',
      dir,
      keys: usable.map((k) => `${k.domain}/${k.selector} (${k.algorithm}, ${k.bits} bits)`),
    },
    usable.length === 0 ? 'DKIM: no usable key yet' : 'DKIM signing with these keys',
  );
  for (const { domain, selector, reason } of unusable) {
    logger.warn(
      { event: 'dkim.key-unusable', domain, selector, reason },
      'DKIM key cannot be used: mail from this domain will be held until it is fixed',
    );
  }
  return createDkimSigner(keys);
}

export function signBeforeSending(
  client: SmartHostClient,
  signer: DkimSigner,
  logger: Logger,
): SmartHostClient {
  return {
    async send(envelope, body, options) {
      let signed: readonly Buffer[];
      try {
        // Signing hashes the whole body: it is read into memory (DKIM only).
        signed = await signer.sign(await readWholeBody(body));
      } catch (error) {
        if (error instanceof DkimError) {
          // Never key material: the reason names the problem, not the bytes.
          logger.error(
            {
              event: 'dkim.failed',
              domain: error.domain,
              selector: error.selector,
              reason: error.reason,
            },
            'DKIM signing failed: the message is held, never sent unsigned',
          );
        }
        throw error;
      }
      const size = signed.reduce((total, chunk) => total + chunk.length, 0);
      return client.send({ ...envelope, size }, signed, options);
    },
    close: () => client.close(),
  };
}
