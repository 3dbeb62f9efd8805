import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DkimDnsRecord } from '../src/index.ts';

// Keys made for the test with node:crypto, in a throwaway DKIM_KEYS_DIR.

export const rsaKey = (bits = 2048): KeyObject =>
  generateKeyPairSync('rsa', { modulusLength: bits }).privateKey;
export const ed25519Key = (): KeyObject => generateKeyPairSync('ed25519').privateKey;

export const pemOf = (key: KeyObject): string =>
  key.export({ type: 'pkcs8', format: 'pem' }).toString();

export interface KeysDir {
  readonly dir: string;
  /** Writes `<folder>/<file>`; returns its path. */
  put(folder: string, file: string, text: string): string;
  remove(): void;
}

export function createKeysDir(): KeysDir {
  const dir = mkdtempSync(join(tmpdir(), 'dkim-keys-'));
  return {
    dir,
    put(folder, file, text) {
      mkdirSync(join(dir, folder), { recursive: true });
      const path = join(dir, folder, file);
      writeFileSync(path, text);
      return path;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A DNS resolver for mailauth's verifier that knows only these records (no network). */
export function resolverFor(records: readonly DkimDnsRecord[]) {
  return (name: string, type: string): Promise<string[][]> => {
    const record = records.find((r) => r.name === name);
    if (type !== 'TXT' || !record) {
      return Promise.reject(
        Object.assign(new Error(`no ${type} for ${name}`), { code: 'ENOTFOUND' }),
      );
    }
    return Promise.resolve([[record.value]]);
  };
}
