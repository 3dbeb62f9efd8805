import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { basename, dirname, resolve } from 'node:path';
import { domainToASCII } from 'node:url';

// One key file of DKIM_KEYS_DIR, `<domain>/<selector>.pem`, and the checks that
// decide whether it can sign (docs/reference.md "DKIM signing"). The sender and
// `npx smtp-relay dkim` use the same checks, so a key the command accepts signs.

export const DKIM_KEY_SUFFIX = '.pem';

// RFC 8301 §3.2: signers MUST use RSA keys of at least 1024 bits.
const MIN_RSA_BITS = 1024;

// RFC 6376 §3.1: a selector is one or more DNS labels (letters, digits, hyphens).
const SELECTOR = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/i;

type DkimAlgorithm = 'rsa-sha256' | 'ed25519-sha256';

export interface DkimKey {
  /** The signing domain (d=): the folder's name as a lowercase A-label. */
  readonly domain: string;
  /** s=: the file's name without `.pem`. */
  readonly selector: string;
  readonly algorithm: DkimAlgorithm;
  /** The RSA modulus length; 256 for Ed25519. */
  readonly bits: number;
  /** The file's bytes, as the signing library takes them. */
  readonly pem: Buffer;
  readonly publicKey: KeyObject;
}

export type DkimKeyCheck =
  { readonly ok: true; readonly key: DkimKey } | { readonly ok: false; readonly reason: string };

/** A folder name as the domain it stands for: lowercase, A-labels; undefined when it is none. */
export function domainOfFolder(name: string): string | undefined {
  if (name.startsWith('.')) return undefined;
  const ascii = domainToASCII(name.toLowerCase());
  return ascii === '' ? undefined : ascii;
}

/** Domain and selector of a key file's path, `<domain>/<selector>.pem`. */
export function keyNameOf(path: string): { readonly folder: string; readonly selector: string } {
  const full = resolve(path);
  return { folder: basename(dirname(full)), selector: basename(full, DKIM_KEY_SUFFIX) };
}

/** Whether `pem` can sign for `domain` as `selector`; the reason when not (never key material). */
export function checkDkimKey(pem: Buffer, domain: string, selector: string): DkimKeyCheck {
  if (!SELECTOR.test(selector)) {
    return {
      ok: false,
      reason: `the selector "${selector}" (the file name) is not a DNS label: letters, digits, hyphens and dots only`,
    };
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch (error) {
    return { ok: false, reason: unreadableKey(pem, error) };
  }
  const type = privateKey.asymmetricKeyType;
  if (type === 'ed25519') {
    return { ok: true, key: keyOf(privateKey, 'ed25519-sha256', 256) };
  }
  if (type !== 'rsa') {
    return {
      ok: false,
      reason: `not an RSA or Ed25519 key but ${type ?? 'another kind'}: DKIM signs with RSA (rsa-sha256) or Ed25519 (ed25519-sha256) only`,
    };
  }
  const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) {
    return {
      ok: false,
      reason: `an RSA key of ${bits} bits: at least ${MIN_RSA_BITS} (RFC 8301), 2048 recommended`,
    };
  }
  return { ok: true, key: keyOf(privateKey, 'rsa-sha256', bits) };

  function keyOf(key: KeyObject, algorithm: DkimAlgorithm, keyBits: number): DkimKey {
    return { domain, selector, algorithm, bits: keyBits, pem, publicKey: createPublicKey(key) };
  }
}

// PKCS#8 and the older OpenSSL format ("Proc-Type: 4,ENCRYPTED").
const ENCRYPTED_PEM = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,ENCRYPTED/;

function unreadableKey(pem: Buffer, error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  // No variable carries a passphrase, so an encrypted key could never be used.
  if (code === 'ERR_MISSING_PASSPHRASE' || ENCRYPTED_PEM.test(pem.toString('latin1'))) {
    return 'the key is encrypted: store it unencrypted (openssl pkey -in KEY -out KEY.pem)';
  }
  return 'not a PEM private key (truncated, or a public key or certificate instead)';
}
