// Typed views of rendered manifests for e2e/k8s-manifests.test.ts: workloads, their
// containers, and the environment a container really gets (env and envFrom resolved).
import type { Manifest } from './kustomize.ts';

interface Probe {
  readonly httpGet?: { readonly path: string; readonly port: number | string };
  readonly tcpSocket?: { readonly port: number | string };
  readonly exec?: { readonly command: readonly string[] };
}

export interface SecurityContext {
  readonly runAsNonRoot?: boolean;
  readonly runAsUser?: number;
  readonly readOnlyRootFilesystem?: boolean;
  readonly allowPrivilegeEscalation?: boolean;
  readonly privileged?: boolean;
  readonly capabilities?: { readonly drop?: readonly string[]; readonly add?: readonly string[] };
  readonly seccompProfile?: { readonly type: string };
}

interface KeyRef {
  readonly name: string;
  readonly key: string;
  readonly optional?: boolean;
}

export interface Container {
  readonly name: string;
  readonly image: string;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly env?: readonly {
    readonly name: string;
    readonly value?: string;
    readonly valueFrom?: { readonly secretKeyRef?: KeyRef; readonly configMapKeyRef?: KeyRef };
  }[];
  readonly envFrom?: readonly {
    readonly prefix?: string;
    readonly configMapRef?: { readonly name: string; readonly optional?: boolean };
    readonly secretRef?: { readonly name: string; readonly optional?: boolean };
  }[];
  readonly ports?: readonly { readonly name?: string; readonly containerPort: number }[];
  readonly readinessProbe?: Probe;
  readonly livenessProbe?: Probe;
  readonly resources?: {
    readonly requests?: Readonly<Record<string, string | number>>;
    readonly limits?: Readonly<Record<string, string | number>>;
  };
  readonly securityContext?: SecurityContext;
  readonly volumeMounts?: readonly {
    readonly name: string;
    readonly mountPath: string;
    readonly subPath?: string;
  }[];
}

interface Volume {
  readonly name: string;
  readonly secret?: {
    readonly secretName: string;
    readonly items?: readonly { key: string; path: string }[];
  };
  readonly configMap?: {
    readonly name: string;
    readonly items?: readonly { key: string; path: string }[];
  };
  readonly persistentVolumeClaim?: { readonly claimName: string };
}

interface PodSpec {
  readonly containers: readonly Container[];
  readonly initContainers?: readonly Container[];
  readonly volumes?: readonly Volume[];
  readonly enableServiceLinks?: boolean;
  readonly automountServiceAccountToken?: boolean;
  readonly terminationGracePeriodSeconds?: number;
  readonly securityContext?: SecurityContext;
}

export interface Workload extends Manifest {
  readonly kind: 'Deployment' | 'StatefulSet';
  readonly spec: {
    readonly replicas?: number;
    readonly selector: { readonly matchLabels: Readonly<Record<string, string>> };
    readonly template: {
      readonly metadata: { readonly labels: Readonly<Record<string, string>> };
      readonly spec: PodSpec;
    };
    readonly volumeClaimTemplates?: readonly {
      readonly metadata: { readonly name: string };
      readonly spec: { readonly resources: { readonly requests: { readonly storage: string } } };
    }[];
  };
}

export interface Service extends Manifest {
  readonly spec: {
    readonly selector: Readonly<Record<string, string>>;
    readonly ports: readonly {
      readonly name?: string;
      readonly port: number;
      readonly targetPort?: number | string;
    }[];
  };
}

export function workloads(manifests: readonly Manifest[]): Workload[] {
  return manifests.filter(
    (m): m is Workload => m.kind === 'Deployment' || m.kind === 'StatefulSet',
  );
}

export function named<T extends Manifest>(
  manifests: readonly T[],
  kind: string,
  name: string,
): T | undefined {
  return manifests.find((m) => m.kind === kind && m.metadata.name === name);
}

export function allContainers(workload: Workload): readonly Container[] {
  const { containers, initContainers = [] } = workload.spec.template.spec;
  return [...initContainers, ...containers];
}

export function selects(
  selector: Readonly<Record<string, string>>,
  labels: Readonly<Record<string, string>>,
) {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

/** The containerPort a probe or Service targetPort names (a number or a port name). */
export function resolvePort(
  container: Container,
  port: number | string | undefined,
): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

interface EnvEntry {
  readonly name: string;
  /** undefined where the value lives in a Secret or ConfigMap this rendering lacks */
  readonly value: string | undefined;
  /** "env", "ConfigMap NAME" or "Secret NAME" */
  readonly source: string;
}

export interface ResolvedEnv {
  readonly entries: readonly EnvEntry[];
  /** Secrets and ConfigMaps referenced but not rendered (created outside the manifests) */
  readonly external: readonly {
    readonly kind: string;
    readonly name: string;
    readonly optional: boolean;
  }[];
}

function dataOf(manifest: Manifest): Record<string, string> {
  const data = (manifest.data ?? {}) as Record<string, string>;
  if (manifest.kind !== 'Secret') return { ...data };
  const decoded = Object.fromEntries(
    Object.entries(data).map(([key, value]) => [
      key,
      Buffer.from(value, 'base64').toString('utf8'),
    ]),
  );
  return { ...decoded, ...((manifest.stringData ?? {}) as Record<string, string>) };
}

/** Every variable a container gets, in the order Kubernetes applies them. */
export function resolveEnv(container: Container, manifests: readonly Manifest[]): ResolvedEnv {
  const entries: EnvEntry[] = [];
  const external: { kind: string; name: string; optional: boolean }[] = [];
  for (const source of container.envFrom ?? []) {
    const ref = source.configMapRef ?? source.secretRef;
    if (ref === undefined) throw new Error(`${container.name}: envFrom without a reference`);
    const kind = source.configMapRef ? 'ConfigMap' : 'Secret';
    const found = named(manifests, kind, ref.name);
    if (found === undefined) {
      external.push({ kind, name: ref.name, optional: ref.optional === true });
      continue;
    }
    for (const [name, value] of Object.entries(dataOf(found))) {
      entries.push({ name: `${source.prefix ?? ''}${name}`, value, source: `${kind} ${ref.name}` });
    }
  }
  for (const variable of container.env ?? []) {
    const ref = variable.valueFrom?.secretKeyRef ?? variable.valueFrom?.configMapKeyRef;
    if (ref === undefined) {
      entries.push({ name: variable.name, value: variable.value ?? '', source: 'env' });
      continue;
    }
    const kind = variable.valueFrom?.secretKeyRef ? 'Secret' : 'ConfigMap';
    const found = named(manifests, kind, ref.name);
    if (found === undefined)
      external.push({ kind, name: ref.name, optional: ref.optional === true });
    entries.push({
      name: variable.name,
      value: found && dataOf(found)[ref.key],
      source: `${kind} ${ref.name}`,
    });
  }
  return { entries, external };
}

/** The value a container sees for name (the last definition wins, as in Kubernetes). */
export function valueOf(env: ResolvedEnv, name: string): string | undefined {
  return env.entries.findLast((entry) => entry.name === name)?.value;
}

const UNITS: Readonly<Record<string, number>> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/** A Kubernetes quantity ("250m", "512Mi", "2") as a number. */
export function quantity(value: string | number): number {
  const match = /^(\d+(?:\.\d+)?)([a-zA-Z]*)$/.exec(String(value));
  const factor = match ? UNITS[match[2] ?? ''] : undefined;
  if (!match || factor === undefined) throw new Error(`not a quantity: ${String(value)}`);
  return Number(match[1]) * factor;
}
