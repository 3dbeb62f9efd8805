// The two kinds of kustomize patch the manifests under infra/k8s use: strategic merge
// (the subset of Kubernetes' rules those manifests need) and JSON 6902. Checked against
// `kubectl kustomize` by e2e/k8s-manifests.test.ts wherever kubectl is installed.

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

/** A strategic merge patch result for a patch that says `$patch: delete`. */
export const DELETED = Symbol('deleted');

// patchMergeKey of the list fields in the Kubernetes API that these manifests patch.
// Lists without one (envFrom, args, volumeClaimTemplates ...) are replaced whole.
const MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: 'name',
  initContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  imagePullSecrets: 'name',
  topologySpreadConstraints: 'topologyKey',
};

function mergeKeyOf(field: string, items: readonly unknown[]): string | undefined {
  // Container ports merge on containerPort, Service ports on port.
  if (field === 'ports')
    return items.some((item) => isObject(item) && 'containerPort' in item)
      ? 'containerPort'
      : 'port';
  return MERGE_KEYS[field];
}

export function strategicMerge(original: unknown, patch: unknown): unknown {
  if (isObject(patch) && patch.$patch === 'delete') return DELETED;
  if (!isObject(original) || !isObject(patch)) return clone(patch);
  const result: JsonObject = { ...original };
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) throw new Error(`unsupported patch directive ${key}`);
    if (value === null) {
      Reflect.deleteProperty(result, key);
    } else if (Array.isArray(value) && Array.isArray(original[key])) {
      result[key] = mergeList(key, original[key], value);
    } else {
      const merged = strategicMerge(original[key], value);
      if (merged === DELETED) Reflect.deleteProperty(result, key);
      else result[key] = merged;
    }
  }
  return result;
}

function mergeList(field: string, original: readonly unknown[], patch: readonly unknown[]) {
  const key = mergeKeyOf(field, [...original, ...patch]);
  if (key === undefined || ![...original, ...patch].every(isObject)) return clone(patch);
  const result = original.map((item) => clone(item) as JsonObject);
  const added: JsonObject[] = [];
  for (const item of patch as readonly JsonObject[]) {
    const index = result.findIndex((existing) => existing[key] === item[key]);
    if (item.$patch === 'delete') {
      if (index >= 0) result.splice(index, 1);
    } else if (index >= 0) {
      result[index] = strategicMerge(result[index], item) as JsonObject;
    } else {
      added.push(clone(item));
    }
  }
  // kustomize (kyaml) puts items the original did not have first, in patch order.
  return [...added, ...result];
}

export interface JsonPatchOperation {
  readonly op: 'add' | 'remove' | 'replace' | 'test';
  readonly path: string;
  readonly value?: unknown;
}

function pointer(path: string): string[] {
  if (!path.startsWith('/')) throw new Error(`JSON pointer ${path} must start with /`);
  return path
    .slice(1)
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function childOf(parent: unknown, part: string, path: string): unknown {
  if (Array.isArray(parent)) return parent[Number(part)];
  if (isObject(parent)) return parent[part];
  throw new Error(`${path}: no such location`);
}

/** Applies RFC 6902 operations to a copy of document. */
export function applyJsonPatch(document: unknown, operations: readonly JsonPatchOperation[]) {
  const result = clone(document);
  for (const { op, path, value } of operations) {
    const parts = pointer(path);
    const last = parts.pop();
    if (last === undefined) throw new Error(`${op} ${path}: cannot patch the whole document`);
    const parent = parts.reduce<unknown>((node, part) => childOf(node, part, path), result);
    if (op === 'test') {
      if (JSON.stringify(childOf(parent, last, path)) !== JSON.stringify(value)) {
        throw new Error(`test ${path} failed`);
      }
    } else if (Array.isArray(parent)) {
      const index = last === '-' ? parent.length : Number(last);
      if (!Number.isInteger(index) || index < 0 || index > parent.length) {
        throw new Error(`${op} ${path}: bad index`);
      }
      if (op !== 'add' && index >= parent.length) throw new Error(`${op} ${path}: no such item`);
      parent.splice(index, op === 'add' ? 0 : 1, ...(op === 'remove' ? [] : [clone(value)]));
    } else if (isObject(parent)) {
      if (op !== 'add' && !(last in parent)) throw new Error(`${op} ${path}: no such field`);
      if (op === 'remove') Reflect.deleteProperty(parent, last);
      else parent[last] = clone(value);
    } else {
      throw new Error(`${op} ${path}: no such location`);
    }
  }
  return result;
}
