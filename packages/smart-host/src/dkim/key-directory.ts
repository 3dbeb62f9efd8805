import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DkimError } from './dkim-error.ts';
import { checkDkimKey, DKIM_KEY_SUFFIX, domainOfFolder, type DkimKey } from './dkim-key.ts';

// DKIM_KEYS_DIR, read when a message is signed rather than once at start-up: a
// key added, replaced or removed counts from the next message on, so mail held
// for a broken key goes out by itself once the file is fixed, without a restart
// (docs/reference.md "DKIM signing"). A file whose bytes did not change is not
// parsed again. Names starting with a dot are skipped: Kubernetes mounts a
// Secret or ConfigMap with `..data` links beside the files.

interface UnusableDkimKey {
  readonly domain: string;
  readonly selector: string | undefined;
  readonly reason: string;
}

export interface DkimKeyDirectory {
  /**
   * The keys of `domain` (a lowercase A-label): none when it has no folder or
   * no `.pem` file in it. Throws a DkimError when one of them cannot be used or
   * a folder cannot be read: whether the mail must be signed is then unknown.
   */
  keysFor(domain: string): Promise<readonly DkimKey[]>;
  /** Every key file, for the start-up log. */
  survey(): Promise<{
    readonly usable: readonly DkimKey[];
    readonly unusable: readonly UnusableDkimKey[];
  }>;
}

export function openDkimKeyDirectory(dir: string): DkimKeyDirectory {
  const parsed = new Map<string, { readonly pem: Buffer; readonly key: DkimKey }>();

  async function folders(domain: string | undefined): Promise<{ name: string; domain: string }[]> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      throw new DkimError(domain ?? dir, undefined, `${dir} cannot be read (${codeOf(error)})`);
    }
    return names
      .map((name) => ({ name, domain: domainOfFolder(name) }))
      .filter((f): f is { name: string; domain: string } => f.domain !== undefined)
      .filter((f) => domain === undefined || f.domain === domain)
      .sort((a, b) => a.domain.localeCompare(b.domain) || a.name.localeCompare(b.name));
  }

  async function keyFiles(folder: { name: string; domain: string }): Promise<string[]> {
    try {
      const names = await readdir(join(dir, folder.name));
      return names.filter((n) => n.endsWith(DKIM_KEY_SUFFIX) && !n.startsWith('.')).sort();
    } catch (error) {
      const code = codeOf(error);
      // A plain file named like a domain, or a folder removed meanwhile: no keys.
      if (code === 'ENOTDIR' || code === 'ENOENT') return [];
      throw new DkimError(folder.domain, undefined, `its folder cannot be read (${code})`);
    }
  }

  async function load(folder: { name: string; domain: string }, file: string): Promise<DkimKey> {
    const selector = file.slice(0, -DKIM_KEY_SUFFIX.length);
    const path = join(dir, folder.name, file);
    let pem: Buffer;
    try {
      pem = await readFile(path);
    } catch (error) {
      throw new DkimError(folder.domain, selector, `the file cannot be read (${codeOf(error)})`);
    }
    const cached = parsed.get(path);
    if (cached?.pem.equals(pem) === true && cached.key.domain === folder.domain) return cached.key;
    const check = checkDkimKey(pem, folder.domain, selector);
    if (!check.ok) {
      parsed.delete(path);
      throw new DkimError(folder.domain, selector, check.reason);
    }
    parsed.set(path, { pem, key: check.key });
    return check.key;
  }

  return {
    async keysFor(domain) {
      const keys: DkimKey[] = [];
      for (const folder of await folders(domain)) {
        for (const file of await keyFiles(folder)) keys.push(await load(folder, file));
      }
      return keys;
    },
    async survey() {
      const usable: DkimKey[] = [];
      const unusable: UnusableDkimKey[] = [];
      const note = (error: unknown): void => {
        if (!(error instanceof DkimError)) throw error;
        unusable.push({ domain: error.domain, selector: error.selector, reason: error.reason });
      };
      try {
        for (const folder of await folders(undefined)) {
          try {
            for (const file of await keyFiles(folder)) {
              await load(folder, file).then((key) => usable.push(key), note);
            }
          } catch (error) {
            note(error);
          }
        }
      } catch (error) {
        note(error);
      }
      return { usable, unusable };
    },
  };
}

function codeOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code ?? String(error);
}
