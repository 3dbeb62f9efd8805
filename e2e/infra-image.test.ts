// infra/Dockerfile's OCI labels and the commands that build it, held against package.json
// (README "Versions and image tags"), without a container engine: the Dockerfile declares
// every org.opencontainers.image.* label with package.json's values, and every command of
// this repository that builds the image passes VERSION read from package.json. The built
// image's label itself is checked by `npm run test:containers` (scripts/containers/test.sh).
import assert from 'node:assert/strict';
import { globSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPOSITORY_ROOT } from './k8s/product.ts';

const read = (file: string): string => readFileSync(join(REPOSITORY_ROOT, file), 'utf8');

interface PackageJson {
  readonly version: string;
  readonly description: string;
  readonly license: string;
  readonly repository?: string | { readonly url: string };
}
const pkg = JSON.parse(read('package.json')) as PackageJson;

/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
function instructions(dockerfile: string): string[] {
  return dockerfile
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/** LABEL key="value" pairs of the last stage (the image that is run). */
function labels(lines: readonly string[]): Map<string, string> {
  const lastStage = lines.slice(lines.findLastIndex((line) => /^FROM\s/i.test(line)));
  const found = new Map<string, string>();
  for (const line of lastStage.filter((l) => /^LABEL\s/i.test(l))) {
    for (const [, key = '', value = ''] of line.matchAll(/([\w.-]+)="((?:[^"\\]|\\.)*)"/g)) {
      found.set(key, value);
    }
  }
  return found;
}

const dockerfile = instructions(read('infra/Dockerfile'));
const declared = labels(dockerfile);

describe('infra/Dockerfile labels', () => {
  it('declares ARG VERSION (default dev), REVISION and CREATED (default unknown) in the last stage', () => {
    const lastStage = dockerfile.slice(dockerfile.findLastIndex((line) => /^FROM\s/i.test(line)));
    for (const arg of ['VERSION=dev', 'REVISION=unknown', 'CREATED=unknown']) {
      assert.ok(lastStage.includes(`ARG ${arg}`), `no ARG ${arg}`);
    }
  });

  it("declares every OCI label, with package.json's description and license", () => {
    const repository = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
    const expected = new Map<string, string>([
      ['org.opencontainers.image.title', 'smtp-relay'],
      ['org.opencontainers.image.description', pkg.description],
      ['org.opencontainers.image.licenses', pkg.license],
      ['org.opencontainers.image.version', '${VERSION}'],
      ['org.opencontainers.image.revision', '${REVISION}'],
      ['org.opencontainers.image.created', '${CREATED}'],
      // Only the URL package.json states: none today, so no source label.
      ...(repository === undefined
        ? []
        : [['org.opencontainers.image.source', repository] as const]),
    ]);
    assert.deepEqual(declared, expected);
  });
});

/** Files with commands that may build the image: scripts, CI, tests and the docs. */
const COMMAND_FILES = [
  '.ci/run',
  'package.json',
  'README.md',
  'infra/Dockerfile',
  ...globSync(['scripts/**/*.{sh,ts}', 'e2e/**/*.ts', 'docs/**/*.md'], {
    cwd: REPOSITORY_ROOT,
    exclude: (name) => name === 'node_modules',
  }),
];

/** Builds infra/Dockerfile: docker/podman/buildah build of it, or a compose build. */
const BUILDS_IMAGE =
  /\b(?:docker|podman|buildah)\s+build\b.*infra\/Dockerfile|(?:docker-compose|docker compose|\bdc|"\$\{dc\[@\]\}")\s+build\b/;
const FROM_PACKAGE_JSON = String.raw`\$\([^)]*node -p "require\('\./package\.json'\)\.version"\)`;

/**
 * One line per shell command: continuation lines joined; comments and messages (a
 * script's step, log and echo lines) left out, and of Markdown only the code blocks.
 */
function commands(file: string, text: string): string[] {
  const code = file.endsWith('.md')
    ? [...text.matchAll(/^```[a-z]*\n([\s\S]*?)^```/gm)].map((block) => block[1] ?? '').join('\n')
    : text;
  return code
    .replace(/\\\n\s*(?:#\s*)?/g, ' ')
    .split('\n')
    .filter((line) => !/^\s*(?:#|\/\/|step |log |echo |ok |fail )/.test(line));
}

describe('every command that builds the image passes VERSION from package.json', () => {
  const builds = COMMAND_FILES.flatMap((file) => {
    const text = read(file);
    return commands(file, text)
      .filter((command) => BUILDS_IMAGE.test(command))
      .map((command) => ({ file, text, command: command.trim() }));
  });

  it('finds the build commands of the scripts, CI and the docs', () => {
    const files = new Set(builds.map((build) => build.file));
    for (const file of [
      'scripts/containers/test.sh',
      'scripts/containers/compose-up.sh',
      'README.md',
      'docs/kubernetes.md',
    ]) {
      assert.ok(files.has(file), `no build command found in ${file}`);
    }
  });

  for (const { file, text, command } of builds) {
    it(`${file}: ${command.slice(0, 80)}`, () => {
      const argument = /--build-arg[ =]"?VERSION=("?)(\$\{?(\w+)\}?|\$\(.*)/.exec(command);
      assert.ok(argument, 'no --build-arg VERSION=');
      const [, , value = '', variable] = argument;
      if (variable === undefined) {
        assert.match(value, new RegExp(`^${FROM_PACKAGE_JSON}`));
      } else {
        // $VERSION / "$version": set from package.json in the same file.
        assert.match(text, new RegExp(`^\\s*${variable}=${FROM_PACKAGE_JSON}`, 'm'));
      }
    });
  }
});

describe('the production overlay pins the release it was written for', () => {
  it('infra/k8s/overlays/prod: newTag is the version in package.json (README "Versions and image tags": pin X.Y.Z)', () => {
    const overlay = read('infra/k8s/overlays/prod/kustomization.yaml');
    const tags = [...overlay.matchAll(/^\s*newTag:\s*(\S+)/gm)].map((match) => match[1]);
    assert.deepEqual(tags, [pkg.version]);
  });
});
