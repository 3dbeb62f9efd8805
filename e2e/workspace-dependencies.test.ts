import assert from 'node:assert/strict';
import { globSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';

// The layering of docs/architecture.md, checked on the source text of every
// workspace: each one declares in its package.json every package it imports
// (npm workspaces would otherwise resolve an undeclared one through the root and
// hide the dependency), packages never import services, and the testkit is for
// tests only. eslint.config.js keeps smtp-server's internals in one adapter.

const ROOT = path.resolve(import.meta.dirname, '..');
const SERVICES = new Set(['ingress', 'sender', 'cli', 'all-in-one']);

interface Workspace {
  readonly dir: string;
  readonly name: string;
  readonly declared: ReadonlySet<string>;
}

function workspaces(): readonly Workspace[] {
  return globSync(
    [
      'packages/*/package.json',
      'services/*/package.json',
      'e2e/package.json',
      'bench/package.json',
    ],
    {
      cwd: ROOT,
    },
  ).map((file) => {
    const manifest = JSON.parse(readFileSync(path.join(ROOT, file), 'utf8')) as {
      name: string;
      dependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
    };
    return {
      dir: path.dirname(file),
      name: manifest.name,
      declared: new Set([
        ...Object.keys(manifest.dependencies ?? {}),
        ...Object.keys(manifest.devDependencies ?? {}),
      ]),
    };
  });
}

const IMPORT = /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)'([^'.][^']*)'/g;
const BUILTINS = new Set(builtinModules);

/** The package an import specifier names (`@scope/name/sub` → `@scope/name`), or undefined for node's own. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('node:') || BUILTINS.has(specifier)) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function imports(workspace: Workspace): { file: string; pkg: string }[] {
  const files = globSync('**/*.ts', {
    cwd: path.join(ROOT, workspace.dir),
    exclude: (name) => name === 'node_modules',
  });
  return files.flatMap((file) => {
    const text = readFileSync(path.join(ROOT, workspace.dir, file), 'utf8');
    return [...text.matchAll(IMPORT)]
      .map((match) => packageOf(match[1] ?? ''))
      .filter((pkg): pkg is string => pkg !== undefined)
      .map((pkg) => ({ file: path.join(workspace.dir, file), pkg }));
  });
}

const isTestFile = (file: string): boolean =>
  /\/test\//.test(file) ||
  file.endsWith('.test.ts') ||
  file.startsWith('e2e/') ||
  file.startsWith('bench/');

describe('workspace dependencies and layering', () => {
  const all = workspaces();

  it('finds every workspace', () => {
    assert.ok(all.length >= 14, `found ${String(all.length)}`);
  });

  it('packageOf: scoped, deep and built-in specifiers', () => {
    const rows: readonly (readonly [string, string | undefined])[] = [
      ['@smtp-relay/queue', '@smtp-relay/queue'],
      ['smtp-server/lib/smtp-connection.js', 'smtp-server'],
      ['@node-rs/argon2', '@node-rs/argon2'],
      ['node:fs', undefined],
      ['fs', undefined],
    ];
    for (const [specifier, expected] of rows)
      assert.equal(packageOf(specifier), expected, specifier);
  });

  for (const workspace of all) {
    it(`${workspace.name} declares every package it imports`, () => {
      const undeclared = imports(workspace)
        .filter(({ pkg }) => pkg !== workspace.name && !workspace.declared.has(pkg))
        .map(({ file, pkg }) => `${file}: ${pkg}`);
      assert.deepEqual([...new Set(undeclared)], []);
    });
  }

  it('packages never import services', () => {
    const wrong = all
      .filter((workspace) => workspace.dir.startsWith('packages/'))
      .flatMap(imports)
      .filter(
        ({ pkg }) =>
          SERVICES.has(pkg.replace('@smtp-relay/', '')) && pkg.startsWith('@smtp-relay/'),
      )
      .map(({ file, pkg }) => `${file}: ${pkg}`);
    assert.deepEqual(wrong, []);
  });

  it('the testkit is imported by tests only', () => {
    const wrong = all
      .filter((workspace) => workspace.name !== '@smtp-relay/testkit')
      .flatMap(imports)
      .filter(({ file, pkg }) => pkg === '@smtp-relay/testkit' && !isTestFile(file))
      .map(({ file }) => file);
    assert.deepEqual(wrong, []);
  });
});
