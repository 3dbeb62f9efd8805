import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A private temp directory; call `remove()` in an `after` hook. */
export function createTempDir() {
  const dir = mkdtempSync(join(tmpdir(), 'smtp-relay-config-test-'));
  return {
    /** writes `content` to `name` inside the directory and returns its path */
    file(name: string, content: string): string {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    },
    directory(name: string): string {
      const path = join(dir, name);
      mkdirSync(path);
      return path;
    },
    missing(name: string): string {
      return join(dir, name);
    },
    remove(): void {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Self-signed certificate and keys made once with openssl for these tests only. */
export const FIXTURES = {
  cert: fileURLToPath(new URL('fixtures/test-only-cert.pem', import.meta.url)),
  key: fileURLToPath(new URL('fixtures/test-only-key.pem', import.meta.url)),
  otherKey: fileURLToPath(new URL('fixtures/test-only-other-key.pem', import.meta.url)),
} as const;
