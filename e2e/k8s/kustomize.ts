// Renders a kustomization under infra/k8s the way `kubectl kustomize` does, for the
// features those manifests use, so that the manifest test needs no kubectl. Anything
// else is refused loudly rather than rendered wrongly. Generated ConfigMaps keep their
// plain names here; kustomize appends a content hash (see `generated`).
import { readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import {
  DELETED,
  applyJsonPatch,
  isObject,
  strategicMerge,
  type JsonObject,
  type JsonPatchOperation,
} from './patch.ts';

export interface Manifest extends JsonObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: JsonObject & { readonly name: string; namespace?: string };
}

export interface Rendering {
  readonly manifests: Manifest[];
  /** names of generated ConfigMaps, to which kustomize appends -<hash> */
  readonly generated: Set<string>;
  /** every file read, for finding files no kustomization uses */
  readonly files: Set<string>;
}

interface PatchEntry {
  readonly path?: string;
  readonly patch?: string;
  readonly target?: { readonly kind?: string; readonly name?: string };
}

interface GeneratorEntry {
  readonly name: string;
  readonly behavior?: 'create' | 'merge' | 'replace';
  readonly envs?: readonly string[];
  readonly literals?: readonly string[];
  readonly files?: readonly string[];
}

interface Kustomization {
  readonly kind?: string;
  readonly namespace?: string;
  readonly resources?: readonly string[];
  readonly components?: readonly string[];
  readonly configMapGenerator?: readonly GeneratorEntry[];
  readonly patches?: readonly PatchEntry[];
  readonly replicas?: readonly { readonly name: string; readonly count: number }[];
  readonly images?: readonly { name: string; newName?: string; newTag?: string }[];
}

const SUPPORTED = new Set([
  'apiVersion',
  'kind',
  'namespace',
  'resources',
  'components',
  'configMapGenerator',
  'patches',
  'replicas',
  'images',
]);

const CLUSTER_SCOPED = new Set([
  'Namespace',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
  'PersistentVolume',
  'StorageClass',
  'PriorityClass',
]);

export function parseYamlDocuments(text: string, source: string): unknown[] {
  return parseAllDocuments(text).map((document) => {
    if (document.errors.length > 0) throw new Error(`${source}: ${document.errors.join('; ')}`);
    return document.toJS() as unknown;
  });
}

function readYaml(file: string, rendering: Rendering): unknown[] {
  rendering.files.add(file);
  return parseYamlDocuments(readFileSync(file, 'utf8'), file).filter((doc) => doc !== null);
}

function asManifest(value: unknown, source: string): Manifest {
  const metadata = isObject(value) ? value.metadata : undefined;
  if (
    !isObject(value) ||
    typeof value.apiVersion !== 'string' ||
    typeof value.kind !== 'string' ||
    !isObject(metadata) ||
    typeof metadata.name !== 'string'
  ) {
    throw new Error(`${source}: not a Kubernetes object (apiVersion, kind, metadata.name)`);
  }
  return value as Manifest;
}

function readKustomization(dir: string, rendering: Rendering): Kustomization {
  const [document] = readYaml(join(dir, 'kustomization.yaml'), rendering);
  if (!isObject(document)) throw new Error(`${dir}: empty kustomization.yaml`);
  for (const key of Object.keys(document)) {
    if (!SUPPORTED.has(key))
      throw new Error(`${dir}: kustomization field ${key} is not supported here`);
  }
  return document;
}

/** Renders the kustomization in dir (a directory holding kustomization.yaml). */
export function renderKustomization(dir: string): Rendering {
  const rendering: Rendering = { manifests: [], generated: new Set(), files: new Set() };
  accumulate(resolve(dir), rendering, 'Kustomization');
  return rendering;
}

// Same order as kustomize: resources, components (each on the same accumulated set),
// then this kustomization's generators, then patches, namespace, replicas, images.
function accumulate(dir: string, rendering: Rendering, expected: 'Kustomization' | 'Component') {
  const kustomization = readKustomization(dir, rendering);
  if ((kustomization.kind ?? 'Kustomization') !== expected) {
    throw new Error(`${dir}: expected a ${expected}, found ${String(kustomization.kind)}`);
  }
  for (const entry of kustomization.resources ?? []) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      const base = renderKustomization(path);
      rendering.manifests.push(...base.manifests);
      for (const name of base.generated) rendering.generated.add(name);
      for (const file of base.files) rendering.files.add(file);
    } else {
      rendering.manifests.push(...readYaml(path, rendering).map((doc) => asManifest(doc, path)));
    }
  }
  for (const entry of kustomization.components ?? [])
    accumulate(join(dir, entry), rendering, 'Component');
  for (const generator of kustomization.configMapGenerator ?? [])
    generate(dir, generator, rendering);
  for (const entry of kustomization.patches ?? []) patch(dir, entry, rendering);
  const { namespace } = kustomization;
  if (namespace !== undefined) {
    for (const manifest of rendering.manifests) {
      if (!CLUSTER_SCOPED.has(manifest.kind)) manifest.metadata.namespace = namespace;
    }
  }
  for (const { name, count } of kustomization.replicas ?? []) {
    const targets = rendering.manifests.filter(
      (m) =>
        m.metadata.name === name &&
        isObject(m.spec) &&
        ['Deployment', 'StatefulSet'].includes(m.kind),
    );
    if (targets.length === 0) throw new Error(`${dir}: replicas: no workload ${name}`);
    for (const target of targets) (target.spec as JsonObject).replicas = count;
  }
  for (const image of kustomization.images ?? []) setImages(rendering.manifests, image);
}

function envPairs(text: string): [string, string][] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trimStart())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const at = line.indexOf('=');
      if (at < 1) throw new Error(`env line without KEY=value: ${line}`);
      return [line.slice(0, at), line.slice(at + 1)];
    });
}

function generate(dir: string, generator: GeneratorEntry, rendering: Rendering) {
  const data: Record<string, string> = {};
  for (const file of generator.envs ?? []) {
    const path = join(dir, file);
    rendering.files.add(path);
    Object.assign(data, Object.fromEntries(envPairs(readFileSync(path, 'utf8'))));
  }
  Object.assign(data, Object.fromEntries((generator.literals ?? []).flatMap(envPairs)));
  for (const file of generator.files ?? []) {
    const path = join(dir, file);
    rendering.files.add(path);
    data[basename(file)] = readFileSync(path, 'utf8');
  }
  const behavior = generator.behavior ?? 'create';
  const existing = rendering.manifests.find(
    (m) => m.kind === 'ConfigMap' && m.metadata.name === generator.name,
  );
  if (behavior === 'create') {
    if (existing) throw new Error(`${dir}: ConfigMap ${generator.name} exists already`);
    rendering.manifests.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: generator.name },
      data,
    });
    rendering.generated.add(generator.name);
  } else {
    if (!existing) throw new Error(`${dir}: no ConfigMap ${generator.name} to ${behavior}`);
    existing.data = behavior === 'merge' ? { ...(existing.data as JsonObject), ...data } : data;
  }
}

function patch(dir: string, entry: PatchEntry, rendering: Rendering) {
  let documents: unknown[];
  if (entry.path !== undefined) documents = readYaml(join(dir, entry.path), rendering);
  else if (entry.patch !== undefined)
    documents = parseYamlDocuments(entry.patch, `${dir} inline patch`);
  else throw new Error(`${dir}: a patch needs path or patch`);
  const [first] = documents;
  if (Array.isArray(first)) {
    const { target } = entry;
    if (target === undefined) throw new Error(`${dir}: a JSON 6902 patch needs a target`);
    const matches = rendering.manifests.filter(
      (m) =>
        (target.kind === undefined || m.kind === target.kind) &&
        (target.name === undefined || m.metadata.name === target.name),
    );
    if (matches.length === 0)
      throw new Error(`${dir}: no resource matches patch target ${JSON.stringify(target)}`);
    for (const match of matches) {
      const index = rendering.manifests.indexOf(match);
      rendering.manifests[index] = asManifest(
        applyJsonPatch(match, first as JsonPatchOperation[]),
        dir,
      );
    }
    return;
  }
  if (entry.target !== undefined)
    throw new Error(`${dir}: strategic merge patches with a target are not supported here`);
  for (const document of documents) {
    const { kind, metadata } = asManifest(document, `${dir} patch`);
    const index = rendering.manifests.findIndex(
      (m) => m.kind === kind && m.metadata.name === metadata.name,
    );
    const original = rendering.manifests[index];
    if (original === undefined)
      throw new Error(`${dir}: patch for missing ${kind} ${metadata.name}`);
    const merged = strategicMerge(original, document);
    if (merged === DELETED) rendering.manifests.splice(index, 1);
    else rendering.manifests[index] = asManifest(merged, dir);
  }
}

function setImages(
  manifests: Manifest[],
  image: { name: string; newName?: string; newTag?: string },
) {
  for (const manifest of manifests) {
    const template = isObject(manifest.spec) ? manifest.spec.template : undefined;
    const podSpec = isObject(template) ? template.spec : undefined;
    if (!isObject(podSpec)) continue;
    for (const field of ['containers', 'initContainers']) {
      const containers = podSpec[field];
      if (!Array.isArray(containers)) continue;
      for (const container of containers as JsonObject[]) {
        if (typeof container.image !== 'string') continue;
        const [name, tag] = splitImage(container.image);
        if (name !== image.name) continue;
        const newTag = image.newTag ?? tag;
        container.image = `${image.newName ?? name}${newTag === undefined ? '' : `:${newTag}`}`;
      }
    }
  }
}

/** Name and tag of an image reference ("registry:5000/app:1.0" → ["registry:5000/app", "1.0"]). */
export function splitImage(image: string): [string, string | undefined] {
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return colon > slash ? [image.slice(0, colon), image.slice(colon + 1)] : [image, undefined];
}

/** A copy of a rendering without kustomize's -<hash> on generated names (in kubectl output). */
export function withoutNameHashes(
  documents: readonly unknown[],
  generated: ReadonlySet<string>,
): unknown[] {
  let text = JSON.stringify(documents);
  for (const name of generated) {
    text = text.replace(new RegExp(`"${name}-[a-z0-9]{10}"`, 'g'), JSON.stringify(name));
  }
  return JSON.parse(text) as unknown[];
}
