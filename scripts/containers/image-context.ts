// Runs inside `infra/Dockerfile` (stage `context`): sorts the build context into
//   <manifests>/  what `npm ci` needs and nothing else, so that its layer is rebuilt
//                 only when a dependency changes: package-lock.json, the root
//                 package.json (without its scripts), every workspace's package.json,
//                 empty stand-ins for their "bin" files, and `.image-workspaces`, the
//                 `npm ci` arguments that pick the workspaces the image needs;
//   <app>/        what the services run: the root package.json plus each workspace a
//                 service needs (transitively), without tests and node_modules.
// Workspaces come from the root "workspaces" globs and the closure from the packages'
// own "dependencies", so a new workspace needs no edit of the Dockerfile (a hand-kept
// COPY list would silently leave it out).
//   node image-context.ts <context dir> <manifests dir> <app dir>
import { cpSync, existsSync, globSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

interface Manifest {
  readonly name?: string;
  readonly scripts?: Readonly<Record<string, string>>;
  readonly workspaces?: readonly string[];
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly bin?: string | Readonly<Record<string, string>>;
}

/** Deployable workspaces: what the image's commands start. */
const SERVICE_DIRECTORY = 'services/';
/** In <manifests>: the `npm ci` arguments naming the workspaces the image needs. */
const WORKSPACE_LIST = '.image-workspaces';
/** Root scripts that `npm ci` itself runs. */
const INSTALL_SCRIPTS = new Set(['preinstall', 'install', 'postinstall', 'prepare']);
/** Never part of the runtime copy of a workspace. */
const EXCLUDED = /(^|\/)(node_modules|test|tests|coverage)(\/|$)|\.test\.ts$|\.md$/;

function readManifest(path: string): Manifest {
  return JSON.parse(readFileSync(path, 'utf8')) as Manifest;
}

function copy(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, to, { recursive: true, filter: (source) => !EXCLUDED.test(relative(from, source)) });
}

const [contextDir, manifestsDir, appDir] = process.argv.slice(2);
if (contextDir === undefined || manifestsDir === undefined || appDir === undefined) {
  console.error('usage: node image-context.ts <context dir> <manifests dir> <app dir>');
  process.exit(2);
}

const root = readManifest(join(contextDir, 'package.json'));
const workspaces = new Map<string, string>(); // package name -> directory
for (const pattern of root.workspaces ?? []) {
  for (const directory of globSync(pattern, { cwd: contextDir })) {
    const manifestPath = join(contextDir, directory, 'package.json');
    if (!existsSync(manifestPath)) continue;
    const { name } = readManifest(manifestPath);
    if (name === undefined) throw new Error(`${directory}/package.json has no "name"`);
    workspaces.set(name, directory);
  }
}
if (!workspaces.size) throw new Error('the root package.json lists no workspace');

mkdirSync(manifestsDir, { recursive: true });
for (const file of ['package-lock.json', '.npmrc']) {
  if (existsSync(join(contextDir, file))) copy(join(contextDir, file), join(manifestsDir, file));
}
// The root's own scripts ("test", "bench", ...) change often and mean nothing to `npm ci`:
// left out of the manifest copy so that editing one does not re-run the install.
const { scripts = {}, ...rootRest } = root;
const installScripts = Object.fromEntries(
  Object.entries(scripts).filter(([name]) => INSTALL_SCRIPTS.has(name)),
);
writeFileSync(
  join(manifestsDir, 'package.json'),
  `${JSON.stringify({ ...rootRest, scripts: installScripts }, null, 2)}\n`,
);
for (const directory of workspaces.values()) {
  copy(join(contextDir, directory, 'package.json'), join(manifestsDir, directory, 'package.json'));
}

// Every service, then every workspace one of them depends on, transitively.
const needed = new Set<string>();
const pending = [...workspaces].filter(([, dir]) => dir.startsWith(SERVICE_DIRECTORY));
for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
  const [name, directory] = next;
  if (needed.has(name)) continue;
  needed.add(name);
  const { dependencies = {} } = readManifest(join(contextDir, directory, 'package.json'));
  for (const dependency of Object.keys(dependencies)) {
    const dependencyDir = workspaces.get(dependency);
    if (dependencyDir !== undefined) pending.push([dependency, dependencyDir]);
  }
}
if (![...needed].some((name) => workspaces.get(name)?.startsWith(SERVICE_DIRECTORY))) {
  throw new Error(`no workspace under ${SERVICE_DIRECTORY}: nothing for the image to run`);
}

// `npm ci` links a workspace's "bin" only if the file exists: an empty stand-in does,
// and the real file (same path, copied into the image later) takes its place.
for (const name of needed) {
  const directory = workspaces.get(name) ?? '';
  const { bin = {} } = readManifest(join(contextDir, directory, 'package.json'));
  for (const target of typeof bin === 'string' ? [bin] : Object.values(bin)) {
    const placeholder = join(manifestsDir, directory, target);
    mkdirSync(dirname(placeholder), { recursive: true });
    writeFileSync(placeholder, '', { mode: 0o755 });
  }
}
// What `npm ci` installs: these workspaces' production dependencies, and nothing that
// only tests or benchmarks need (e2e's headless browser driver, for one).
writeFileSync(
  join(manifestsDir, WORKSPACE_LIST),
  [...needed]
    .sort()
    .map((name) => `--workspace=${name}\n`)
    .join(''),
);

copy(join(contextDir, 'package.json'), join(appDir, 'package.json'));
for (const name of [...needed].sort()) {
  const directory = workspaces.get(name) ?? '';
  copy(join(contextDir, directory), join(appDir, directory));
}
const left = [...workspaces.keys()].filter((name) => !needed.has(name)).sort();
console.log(`image: ${[...needed].sort().join(' ')}`);
console.log(`not in the image (no service depends on them): ${left.join(' ') || 'none'}`);
