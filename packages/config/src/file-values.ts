import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { InvalidValueError, quote } from './errors.ts';

function describeFailure(path: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return `${quote(path)} does not exist`;
  if (code === 'EACCES' || code === 'EPERM') {
    return `${quote(path)} is not readable by this process`;
  }
  return `${quote(path)} cannot be read (${code ?? String(error)})`;
}

/**
 * Fails unless `path` is a regular file this process can open. Symbolic links are
 * followed (Docker and Kubernetes secrets are links); directories and FIFOs are refused
 * before opening, since opening a FIFO would block start-up.
 */
export function parseReadableFile(path: string): string {
  try {
    if (!statSync(path).isFile()) {
      throw new InvalidValueError(
        `must be a readable file, but ${quote(path)} is not a regular file`,
      );
    }
    closeSync(openSync(path, 'r'));
    return path;
  } catch (error) {
    if (error instanceof InvalidValueError) throw error;
    throw new InvalidValueError(`must be a readable file, but ${describeFailure(path, error)}`);
  }
}

/**
 * Fails unless `path` is a directory this process can list (DKIM_KEYS_DIR): what
 * it holds is read later, when it is used.
 */
export function parseReadableDirectory(path: string): string {
  try {
    if (!statSync(path).isDirectory()) {
      throw new InvalidValueError(
        `must be a readable directory, but ${quote(path)} is not a directory`,
      );
    }
    closeSync(openSync(path, 'r'));
    return path;
  } catch (error) {
    if (error instanceof InvalidValueError) throw error;
    throw new InvalidValueError(
      `must be a readable directory, but ${describeFailure(path, error)}`,
    );
  }
}

/** The file's text; the same checks as parseReadableFile. */
export function readTextFile(path: string): string {
  parseReadableFile(path);
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new InvalidValueError(`must be a readable file, but ${describeFailure(path, error)}`);
  }
}

function readCertificate(path: string): X509Certificate {
  const pem = readTextFile(path);
  try {
    return new X509Certificate(pem);
  } catch {
    throw new InvalidValueError(
      `must hold a PEM certificate ("-----BEGIN CERTIFICATE-----"), but ${quote(path)} does not`,
    );
  }
}

function readPrivateKey(path: string): KeyObject {
  const pem = readTextFile(path);
  try {
    return createPrivateKey(pem);
  } catch {
    // No variable carries a passphrase, so an encrypted key could never be used either.
    throw new InvalidValueError(
      `must hold an unencrypted PEM private key, but ${quote(path)} does not`,
    );
  }
}

/** TLS_CERT_FILE and SMART_HOST_CA_FILE: a readable file holding (at least) one PEM certificate. */
export function parseCertificateFile(path: string): string {
  readCertificate(path);
  return path;
}

/** TLS_KEY_FILE: a readable file holding an unencrypted PEM private key. */
export function parsePrivateKeyFile(path: string): string {
  readPrivateKey(path);
  return path;
}

/**
 * A key that does not belong to the certificate makes every STARTTLS handshake fail,
 * which clients only report as a vague TLS error: catch it at start-up instead.
 */
export function keyMatchesCertificate(certFile: string, keyFile: string): boolean {
  return readCertificate(certFile).checkPrivateKey(readPrivateKey(keyFile));
}
