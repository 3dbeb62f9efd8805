// Runs inside `infra/Dockerfile` (stage `context`), after image-context.ts: gives the
// TypeScript of the image a JavaScript twin, so that a service started from its .js
// entry point never loads Node's type stripper (~28 MB of RSS per process:
// docs/adr/015-memory-footprint.md).
//   node compile-image.ts <app dir>
// Each `x.ts` gets an `x.js` beside it, stripped exactly as Node strips it at run time
// (module.stripTypeScriptTypes: types become spaces, so every line and column, and thus
// every stack trace, stays where it is in the source), with relative `.ts` specifiers
// made `.js`; a `.ts` specifier left over fails the build. The workspaces' package.json
// "exports" and "main" name the .js files. The .ts files stay: a command written for
// the sources (`node services/ingress/src/main.ts`) still runs, stripped at start as
// before, and so does the CLI, whose "bin" stays as package-lock.json records it (what
// `npm ci` links). The dev loop (npm start, tests) is untouched: it runs the sources.
import { globSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { join } from 'node:path';

const [appDir] = process.argv.slice(2);
if (appDir === undefined) {
  console.error('usage: node compile-image.ts <app dir>');
  process.exit(2);
}

/** `from './x.ts'`, `import './x.ts'`, `import('./x.ts')`: relative specifiers only. */
const RELATIVE_TS_SPECIFIER =
  /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"\n]*?)\.ts\2/g;
/** Any specifier still naming a .ts file (a template literal, say) would load the stripper. */
const TS_SPECIFIER_LEFT = /\b(?:from|import)\s*\(?\s*[`'"][^`'"\n]*\.ts[`'"]/;

function compileSource(source: string): string {
  return stripTypeScriptTypes(source, { mode: 'strip' }).replace(
    RELATIVE_TS_SPECIFIER,
    (_match, lead: string, quote: string, path: string) => `${lead}${quote}${path}.js${quote}`,
  );
}

/** An "exports" or "main" value (string or nested conditions) with `.ts` targets made `.js`. */
function toJs(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/\.ts$/, '.js');
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, toJs(entry)]));
  }
  return value;
}

const outsideNodeModules = (file: string): boolean => !file.split('/').includes('node_modules');

let files = 0;
for (const file of globSync('**/*.ts', { cwd: appDir })) {
  if (file.endsWith('.d.ts') || !outsideNodeModules(file)) continue;
  const path = join(appDir, file);
  const compiled = compileSource(readFileSync(path, 'utf8'));
  const left = TS_SPECIFIER_LEFT.exec(compiled);
  if (left) throw new Error(`${file}: a .ts specifier is left after compiling: ${left[0]}`);
  writeFileSync(path.replace(/\.ts$/, '.js'), compiled, { mode: statSync(path).mode & 0o777 });
  files++;
}
for (const file of globSync('**/package.json', { cwd: appDir })) {
  if (!outsideNodeModules(file)) continue;
  const path = join(appDir, file);
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  for (const field of ['exports', 'main']) {
    if (field in manifest) manifest[field] = toJs(manifest[field]);
  }
  writeFileSync(path, `${JSON.stringify(manifest, null, 2)}\n`);
}
console.log(`compiled ${String(files)} TypeScript files of the image to JavaScript`);
