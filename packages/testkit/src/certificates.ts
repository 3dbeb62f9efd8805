import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKey, openssl } from './openssl.ts';

export interface CertificateOptions {
  /** Extra subjectAltName entries besides `localhost` and `127.0.0.1` (names or IPs). */
  hosts?: string[];
}

export interface GeneratedCertificates {
  /** PEM of the throwaway CA: trust it (`ca`) to make verification succeed. */
  caCert: string;
  /** PEM of the leaf, signed by the CA. */
  cert: string;
  /** PEM (PKCS#8) private key of the leaf. */
  key: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  dir: string;
  /** Removes the temp dir with every file above. */
  cleanup(): Promise<void>;
}

export interface SelfSignedCertificate {
  cert: string;
  key: string;
  certFile: string;
  keyFile: string;
  dir: string;
  cleanup(): Promise<void>;
}

// Every name goes into an OpenSSL config line, so nothing that could end or extend it.
const HOST_PATTERN = /^[A-Za-z0-9.*:_-]+$/;

function subjectAltName(hosts: readonly string[]): string {
  const unique = [...new Set(['localhost', '127.0.0.1', ...hosts])];
  for (const host of unique) {
    if (!HOST_PATTERN.test(host)) throw new Error(`Unusable certificate host name ${host}`);
  }
  return unique.map((host) => (isIP(host) ? `IP:${host}` : `DNS:${host}`)).join(',');
}

function leafExtensions(hosts: readonly string[]): string {
  return [
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature',
    'extendedKeyUsage = serverAuth, clientAuth',
    'subjectKeyIdentifier = hash',
    'authorityKeyIdentifier = keyid, issuer',
    `subjectAltName = ${subjectAltName(hosts)}`,
    '',
  ].join('\n');
}

const ONE_DAY = ['-days', '1', '-sha256'];

/**
 * A throwaway CA and a leaf for `localhost`/`127.0.0.1` signed by it (EC P-256, valid
 * one day), as PEM strings and as files in a fresh temp dir.
 */
export async function generateCertificates(
  options: CertificateOptions = {},
): Promise<GeneratedCertificates> {
  const dir = await mkdtemp(join(tmpdir(), 'smtp-relay-certs-'));
  try {
    await writeFile(join(dir, 'leaf.ext'), leafExtensions(options.hosts ?? []));
    await generateKey('ca.key', dir);
    await openssl(
      [
        ...['req', '-x509', '-new', '-key', 'ca.key', ...ONE_DAY],
        ...['-subj', '/CN=smtp-relay testkit CA', '-out', 'ca.crt'],
        ...['-addext', 'basicConstraints=critical,CA:TRUE'],
        ...['-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
      ],
      dir,
    );
    await generateKey('leaf.key', dir);
    await openssl(
      ['req', '-new', '-key', 'leaf.key', '-subj', '/CN=localhost', '-out', 'leaf.csr'],
      dir,
    );
    await openssl(
      [
        ...['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key'],
        ...['-CAcreateserial', ...ONE_DAY, '-extfile', 'leaf.ext', '-out', 'leaf.crt'],
      ],
      dir,
    );
    const caFile = join(dir, 'ca.crt');
    const certFile = join(dir, 'leaf.crt');
    const keyFile = join(dir, 'leaf.key');
    return {
      caCert: await readFile(caFile, 'utf8'),
      cert: await readFile(certFile, 'utf8'),
      key: await readFile(keyFile, 'utf8'),
      caFile,
      certFile,
      keyFile,
      dir,
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * A self-signed leaf for `localhost`/`127.0.0.1` that no CA vouches for, for tests in
 * which certificate verification must fail (`DEPTH_ZERO_SELF_SIGNED_CERT`).
 */
export async function generateSelfSignedCertificate(
  options: CertificateOptions = {},
): Promise<SelfSignedCertificate> {
  const dir = await mkdtemp(join(tmpdir(), 'smtp-relay-self-signed-'));
  try {
    await generateKey('self.key', dir);
    await openssl(
      [
        ...['req', '-x509', '-new', '-key', 'self.key', ...ONE_DAY],
        ...['-subj', '/CN=localhost', '-out', 'self.crt'],
        ...['-addext', `subjectAltName=${subjectAltName(options.hosts ?? [])}`],
      ],
      dir,
    );
    const certFile = join(dir, 'self.crt');
    const keyFile = join(dir, 'self.key');
    return {
      cert: await readFile(certFile, 'utf8'),
      key: await readFile(keyFile, 'utf8'),
      certFile,
      keyFile,
      dir,
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
