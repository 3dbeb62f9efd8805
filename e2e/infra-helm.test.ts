// The Helm chart (infra/helm/smtp-relay) held against the kustomize manifests (infra/k8s):
// the same settings, Secrets, probes, PodDisruptionBudgets and lock-down, KEDA and the
// ServiceMonitor only when asked for. Statically always (Chart.yaml, values.yaml against
// the kustomize base and the schema, every .Values path the templates use); where helm is
// installed (on PATH, or HELM=/path/to/helm) also `helm lint` and `helm template` with the
// defaults, with every option on, and with an external Redis through Sentinel.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { parseYamlDocuments, renderKustomization, type Manifest } from './k8s/kustomize.ts';
import { isObject, type JsonObject } from './k8s/patch.ts';
import {
  K8S_ROOT,
  RELAY_UID,
  REPOSITORY_ROOT,
  SHUTDOWN_DEADLINE_SECONDS,
  isFileVariable,
  readComposeRedisConf,
  redisDirectives,
  variableFor,
} from './k8s/product.ts';
import {
  allContainers,
  named,
  quantity,
  resolveEnv,
  resolvePort,
  selects,
  valueOf,
  workloads,
  type Container,
  type SecurityContext,
  type Service,
  type Workload,
} from './k8s/workloads.ts';

const CHART = join(REPOSITORY_ROOT, 'infra/helm/smtp-relay');
const TEMPLATES = join(CHART, 'templates');
const HELM = process.env.HELM ?? 'helm';
const HAS_HELM = spawnSync(HELM, ['version', '--short']).status === 0;
const NO_HELM = !HAS_HELM && 'helm not installed (docs/kubernetes.md "Helm")';
// Above the chart's kubeVersion; `helm template` assumes an older cluster without it.
const KUBE_VERSION = '1.30.0';
// Named so, the release's objects have the names of the kustomize base.
const RELEASE = 'smtp-relay';
const SECTIONS = ['common', 'ingress', 'sender'] as const;

/** The templates that make the objects of infra/k8s (base, components, overlays/prod). */
const TEMPLATE_FILES = [
  '_helpers.tpl',
  'NOTES.txt',
  'configmaps.yaml',
  'secrets.yaml',
  'ingress-deployment.yaml',
  'ingress-services.yaml',
  'sender-deployment.yaml',
  'sender-service.yaml',
  'pdbs.yaml',
  'redis.yaml',
  'sender-scaledobject.yaml',
  'servicemonitor.yaml',
];

const readYaml = (file: string): unknown => parse(readFileSync(file, 'utf8')) as unknown;

function record(value: unknown, what: string): JsonObject {
  assert.ok(isObject(value), `${what} is not a mapping`);
  return value;
}

/** The value at a dotted path ("config.common.ADMIN_PORT"), or undefined if it is missing. */
function at(root: unknown, path: readonly string[]): { found: boolean; value: unknown } {
  let value = root;
  for (const key of path) {
    if (!isObject(value) || !(key in value)) return { found: false, value: undefined };
    value = value[key];
  }
  return { found: true, value };
}

const chart = record(readYaml(join(CHART, 'Chart.yaml')), 'Chart.yaml');
const values = record(readYaml(join(CHART, 'values.yaml')), 'values.yaml');
const schema = record(
  JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8')),
  'values.schema.json',
);
const packageVersion = (
  JSON.parse(readFileSync(join(REPOSITORY_ROOT, 'package.json'), 'utf8')) as { version: string }
).version;

const base = renderKustomization(join(K8S_ROOT, 'base')).manifests;
const prod = renderKustomization(join(K8S_ROOT, 'overlays/prod')).manifests;

function configMapData(manifests: readonly Manifest[], name: string): Record<string, string> {
  const configMap = named(manifests, 'ConfigMap', name);
  assert.ok(configMap, `ConfigMap ${name}`);
  return { ...(configMap.data as Record<string, string>) };
}

function workload(manifests: readonly Manifest[], kind: string, name: string): Workload {
  const found = named(workloads(manifests), kind, name);
  assert.ok(found, `${kind} ${name}`);
  return found;
}

function container(manifests: readonly Manifest[], kind: string, name: string): Container {
  const [first] = workload(manifests, kind, name).spec.template.spec.containers;
  assert.ok(first, `${kind} ${name}: no container`);
  return first;
}

describe('helm chart, statically', () => {
  it('has a Chart.yaml for Helm 3 whose appVersion is the relay version (package.json)', (t) => {
    if (!HAS_HELM) t.diagnostic('helm is not installed: the chart is not linted or rendered here');
    assert.equal(chart.apiVersion, 'v2');
    assert.equal(chart.name, 'smtp-relay');
    assert.equal(chart.type, 'application');
    assert.match(String(chart.version), /^\d+\.\d+\.\d+$/);
    assert.equal(chart.appVersion, packageVersion);
    // The default image tag is the appVersion: a chart release pins the relay it was made for.
    assert.equal(at(values, ['image', 'tag']).value, '');
    assert.equal(at(values, ['image', 'repository']).value, 'smtp-relay');
  });

  it('has every template, and they use only values that values.yaml defines', () => {
    const files = readdirSync(TEMPLATES);
    assert.deepEqual([...files].sort(), [...TEMPLATE_FILES].sort());
    const helpers = readFileSync(join(TEMPLATES, '_helpers.tpl'), 'utf8');
    const defined = new Set([...helpers.matchAll(/\{\{-? define "([^"]+)"/g)].map((m) => m[1]));
    for (const file of files) {
      const text = readFileSync(join(TEMPLATES, file), 'utf8');
      for (const [, path = ''] of text.matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)) {
        assert.ok(at(values, path.slice(1).split('.')).found, `${file}: .Values${path}`);
      }
      for (const [, name] of text.matchAll(/\binclude "([^"]+)"/g))
        assert.ok(defined.has(name), `${file}: include "${String(name)}" is not defined`);
      for (const [, name = ''] of text.matchAll(/\.Files\.Get "([^"]+)"/g))
        assert.ok(existsSync(join(CHART, name)), `${file}: .Files.Get "${name}"`);
    }
  });

  it('declares every value in values.schema.json, and nothing else', () => {
    assert.equal(schema.additionalProperties, false, 'unknown top-level values are refused');
    const walk = (value: unknown, node: JsonObject, path: string) => {
      if (!isObject(value)) return;
      const properties = isObject(node.properties) ? node.properties : {};
      for (const [key, child] of Object.entries(value)) {
        const declared = properties[key];
        // A mapping declared without properties (resources, nodeSelector ...) is free-form.
        if (isObject(declared)) {
          if (isObject(declared.properties)) walk(child, declared, `${path}.${key}`);
        } else
          assert.ok(isObject(node.additionalProperties), `${path}.${key} is not in the schema`);
      }
      for (const key of Object.keys(properties)) {
        if (path === '' && key === 'global') continue; // Helm's own
        assert.ok(key in value, `schema${path}.${key} is not in values.yaml`);
      }
    };
    walk(values, schema, '');
  });

  it('has the settings of infra/k8s/base/config/*.env, each a variable of its service', () => {
    for (const section of SECTIONS) {
      const settings = record(at(values, ['config', section]).value, `config.${section}`);
      const expected = configMapData(base, `smtp-relay-${section}`);
      // REDIS_URL comes from redis.* (the bundled Redis' Service, or a Secret).
      if (section === 'common') delete expected.REDIS_URL;
      assert.deepEqual(settings, expected, `config.${section}`);
      for (const name of Object.keys(settings)) {
        const variable = variableFor(name);
        assert.ok(variable, `config.${section}.${name} is not a configuration variable`);
        assert.equal(variable.section, section, `config.${section}.${name}`);
      }
    }
  });

  it('sizes pods, Redis and KEDA as infra/k8s does', () => {
    for (const name of ['ingress', 'sender'] as const) {
      const { resources } = container(base, 'Deployment', `smtp-relay-${name}`);
      assert.deepEqual(at(values, [name, 'resources']).value, resources, `${name}.resources`);
    }
    const redis = workload(base, 'StatefulSet', 'smtp-relay-redis');
    const redisContainer = container(base, 'StatefulSet', 'smtp-relay-redis');
    assert.deepEqual(at(values, ['redis', 'resources']).value, redisContainer.resources);
    assert.equal(at(values, ['redis', 'image']).value, redisContainer.image);
    const args = redisContainer.args ?? [];
    assert.equal(at(values, ['redis', 'maxmemory']).value, args[args.indexOf('--maxmemory') + 1]);
    assert.equal(
      at(values, ['redis', 'persistence', 'size']).value,
      redis.spec.volumeClaimTemplates?.[0]?.spec.resources.requests.storage,
    );
    const scaled = record(named(prod, 'ScaledObject', 'smtp-relay-sender')?.spec, 'ScaledObject');
    const keda = record(at(values, ['sender', 'keda']).value, 'sender.keda');
    const fallback = record(scaled.fallback, 'fallback');
    const [trigger] = scaled.triggers as { metadata: { threshold: string } }[];
    assert.deepEqual(
      [keda.minReplicas, keda.maxReplicas, keda.pollingInterval, keda.threshold],
      [
        scaled.minReplicaCount,
        scaled.maxReplicaCount,
        scaled.pollingInterval,
        trigger?.metadata.threshold,
      ],
    );
    assert.deepEqual(
      [keda.fallbackReplicas, keda.fallbackFailureThreshold],
      [fallback.replicas, fallback.failureThreshold],
    );
  });

  it('configures its Redis as infra/redis/redis.conf', () => {
    const directives = redisDirectives(readFileSync(join(CHART, 'files/redis.conf'), 'utf8'));
    assert.deepEqual(directives, readComposeRedisConf());
    assert.deepEqual(
      directives,
      redisDirectives(readFileSync(join(K8S_ROOT, 'base/redis/redis.conf'), 'utf8')),
    );
  });
});

// ---- rendered by helm ----

const scratch = mkdtempSync(join(tmpdir(), 'infra-helm-'));
after(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** Values of the setups below, as `helm install -f` would get them. */
const SETUPS = {
  defaults: { namespace: 'default', values: {} },
  // Every option on: as overlays/prod (KEDA, TLS, LoadBalancer, pinned image), plus the
  // ServiceMonitor, Secrets from values, extra mounts and scheduling.
  'all options': {
    namespace: 'smtp-relay',
    values: {
      image: { repository: 'registry.example.com/smtp-relay', tag: packageVersion },
      imagePullSecrets: [{ name: 'registry' }],
      config: {
        ingress: { SMTP_FILTER_FILE: '/etc/smtp-relay/filter/transflt.mer' },
        sender: { SMART_HOST_USER: 'relay@example.com' },
      },
      secrets: {
        admin: { adminToken: 'an-admin-token-of-24-chars' },
        smartHost: { password: 'smart-host-password' },
      },
      ingress: {
        replicaCount: 2,
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        extraVolumes: [{ name: 'filter', configMap: { name: 'smtp-relay-filter' } }],
        extraVolumeMounts: [{ name: 'filter', mountPath: '/etc/smtp-relay/filter' }],
      },
      sender: {
        keda: {
          enabled: true,
          prometheusServerAddress: 'http://prometheus-operated.monitoring.svc:9090',
        },
      },
      service: { type: 'LoadBalancer', externalTrafficPolicy: 'Local' },
      tls: { enabled: true },
      serviceMonitor: { enabled: true, labels: { release: 'prometheus' } },
    },
  },
  // components/external-redis with components/redis-sentinel, Secrets made elsewhere.
  'Redis with Sentinel': {
    namespace: 'smtp-relay',
    values: {
      secrets: {
        admin: { existingSecret: 'smtp-relay-admin' },
        smartHost: { existingSecret: 'smtp-relay-smart-host' },
        smtpAuth: { existingSecret: 'smtp-relay-smtp-auth' },
      },
      redis: {
        enabled: false,
        external: { existingSecret: 'smtp-relay-redis-url' },
        sentinel: { sentinels: ['redis-node-0.redis-headless:26379'] },
      },
    },
  },
} as const;
type Setup = keyof typeof SETUPS;

function helm(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(HELM, args, { encoding: 'utf8' });
}

function valuesFile(setup: string, content: unknown): string {
  const file = join(scratch, `${setup.replaceAll(' ', '-')}.yaml`);
  writeFileSync(file, JSON.stringify(content)); // JSON is YAML
  return file;
}

const renderings = new Map<Setup, Manifest[]>();
function rendered(setup: Setup): Manifest[] {
  const cached = renderings.get(setup);
  if (cached) return cached;
  const { namespace, values: setupValues } = SETUPS[setup];
  const file = valuesFile(setup, setupValues);
  const args = ['template', RELEASE, CHART, '-n', namespace, '--kube-version', KUBE_VERSION];
  const output = helm([...args, '-f', file]);
  assert.equal(output.status, 0, `helm template (${setup}): ${output.stderr}`);
  const manifests = parseYamlDocuments(output.stdout, `helm template (${setup})`).filter(
    (document) => document !== null,
  ) as Manifest[];
  renderings.set(setup, manifests);
  return manifests;
}

interface Relay {
  readonly workload: Workload;
  readonly container: Container;
  readonly service: 'ingress' | 'sender';
}

function relays(manifests: readonly Manifest[]): Relay[] {
  return workloads(manifests)
    .filter((w) => w.kind === 'Deployment')
    .map((w) => {
      const [first] = w.spec.template.spec.containers;
      assert.ok(first?.name === 'ingress' || first?.name === 'sender', w.metadata.name);
      return { workload: w, container: first, service: first.name };
    });
}

const key = (m: Manifest) => `${m.kind} ${m.metadata.name}`;

/** A spec without its selector, whose labels differ (Helm adds the release's). */
function withoutSelector(spec: unknown): JsonObject {
  const copy = { ...record(spec, 'spec') };
  delete copy.selector;
  return copy;
}

/** The parts of a workload both renderings must agree on (not labels, names, images). */
function comparable(w: Workload, manifests: readonly Manifest[]) {
  const pod = w.spec.template.spec;
  const spec = w.spec as unknown as JsonObject;
  return {
    replicas: spec.replicas,
    strategy: spec.strategy,
    persistentVolumeClaimRetentionPolicy: spec.persistentVolumeClaimRetentionPolicy,
    claims: w.spec.volumeClaimTemplates?.map((c) => c.spec),
    pod: {
      enableServiceLinks: pod.enableServiceLinks,
      automountServiceAccountToken: pod.automountServiceAccountToken,
      terminationGracePeriodSeconds: pod.terminationGracePeriodSeconds,
      securityContext: pod.securityContext,
      volumes: pod.volumes,
    },
    containers: pod.containers.map((c) => ({
      ...c,
      image: undefined,
      imagePullPolicy: undefined,
      envFrom: undefined,
      env: resolveEnv(c, manifests)
        .entries.map((e) => `${e.name}=${String(e.value)}`)
        .sort(),
    })),
  };
}

describe('helm chart, rendered', { skip: NO_HELM }, () => {
  for (const setup of Object.keys(SETUPS) as Setup[]) {
    it(`passes helm lint --strict (${setup})`, () => {
      const file = valuesFile(`lint-${setup}`, SETUPS[setup].values);
      const output = helm(['lint', CHART, '--strict', '-f', file]);
      assert.equal(output.status, 0, output.stdout + output.stderr);
    });
  }

  it('renders the objects of the kustomize base, named and set up as there (defaults)', () => {
    const manifests = rendered('defaults');
    assert.deepEqual(manifests.map(key).sort(), base.map(key).sort());
    for (const section of SECTIONS) {
      const name = `smtp-relay-${section}`;
      assert.deepEqual(configMapData(manifests, name), configMapData(base, name), name);
    }
    for (const ours of workloads(manifests)) {
      const theirs = workload(base, ours.kind, ours.metadata.name);
      assert.deepEqual(comparable(ours, manifests), comparable(theirs, base), key(ours));
    }
    for (const ours of manifests.filter((m): m is Service => m.kind === 'Service')) {
      const theirs = named(base, 'Service', ours.metadata.name) as Service;
      assert.deepEqual(
        [ours.spec.ports, (ours.spec as JsonObject).type],
        [theirs.spec.ports, (theirs.spec as JsonObject).type],
      );
    }
    for (const kind of ['PodDisruptionBudget', 'Secret']) {
      for (const ours of manifests.filter((m) => m.kind === kind)) {
        const theirs = named(base, kind, ours.metadata.name);
        const strip = (m: Manifest | undefined) => [withoutSelector(m?.spec ?? {}), m?.stringData];
        assert.deepEqual(strip(ours), strip(theirs), key(ours));
      }
    }
    const conf = (m: readonly Manifest[]) => configMapData(m, 'smtp-relay-redis')['redis.conf'];
    assert.deepEqual(redisDirectives(conf(manifests) ?? ''), redisDirectives(conf(base) ?? ''));
    for (const relay of relays(manifests)) {
      assert.equal(relay.container.image, `smtp-relay:${packageVersion}`, 'image tag = appVersion');
    }
  });

  it('adds KEDA and the ServiceMonitor only when enabled', () => {
    for (const setup of ['defaults', 'Redis with Sentinel'] as const) {
      const kinds = rendered(setup).map((m) => m.kind);
      assert.ok(!kinds.includes('ScaledObject'), `${setup}: ScaledObject`);
      assert.ok(!kinds.includes('ServiceMonitor'), `${setup}: ServiceMonitor`);
    }
    const manifests = rendered('all options');
    const sender = workload(manifests, 'Deployment', 'smtp-relay-sender');
    // KEDA owns the count: an upgrade must not reset it (as overlays/prod).
    assert.equal(sender.spec.replicas, undefined);
    const ours = named(manifests, 'ScaledObject', 'smtp-relay-sender');
    const theirs = named(prod, 'ScaledObject', 'smtp-relay-sender');
    assert.ok(ours && theirs);
    assert.deepEqual(ours.spec, theirs.spec, 'the ScaledObject of overlays/prod');
    const monitor = named(manifests, 'ServiceMonitor', 'smtp-relay');
    assert.equal(monitor?.apiVersion, 'monitoring.coreos.com/v1');
    const spec = monitor.spec as {
      selector: { matchLabels: Record<string, string> };
      endpoints: { port: string; path: string }[];
    };
    assert.deepEqual(
      spec.endpoints.map((e) => [e.port, e.path]),
      [['admin', '/metrics']],
    );
    assert.equal((monitor.metadata.labels as Record<string, string>).release, 'prometheus');
    const scraped = manifests
      .filter((m): m is Service => m.kind === 'Service')
      .filter((s) =>
        selects(spec.selector.matchLabels, s.metadata.labels as Record<string, string>),
      )
      .map((s) => s.metadata.name)
      .sort();
    assert.deepEqual(scraped, ['smtp-relay-ingress-admin', 'smtp-relay-sender-admin']);
  });

  it('turns on TLS, SMTPS and the LAN Service as components/tls and overlays/prod do', () => {
    const manifests = rendered('all options');
    const ingress = relays(manifests).find((r) => r.service === 'ingress');
    const theirs = relays(prod).find((r) => r.service === 'ingress');
    assert.ok(ingress && theirs);
    const env = resolveEnv(ingress.container, manifests);
    const prodEnv = resolveEnv(theirs.container, prod);
    for (const name of ['TLS_CERT_FILE', 'TLS_KEY_FILE', 'SMTPS_PORT'])
      assert.equal(valueOf(env, name), valueOf(prodEnv, name), name);
    const byName = <T extends { readonly name?: string }>(list: readonly T[] = []) =>
      [...list].sort((a, b) => (a.name ?? '').localeCompare(b.name ?? ''));
    assert.deepEqual(byName(ingress.container.ports), byName(theirs.container.ports));
    const smtp = named(manifests, 'Service', 'smtp-relay') as Service;
    const prodSmtp = named(prod, 'Service', 'smtp-relay') as Service;
    const view = (s: Service) => ({ ...withoutSelector(s.spec), ports: byName(s.spec.ports) });
    assert.deepEqual(view(smtp), view(prodSmtp));
    assert.equal(workload(manifests, 'Deployment', 'smtp-relay-ingress').spec.replicas, 2);
    assert.equal(ingress.container.image, `registry.example.com/smtp-relay:${packageVersion}`);
  });

  it('takes an external Redis through Sentinel as components/external-redis and redis-sentinel', () => {
    const manifests = rendered('Redis with Sentinel');
    // No bundled Redis, no placeholder Secrets: all are made elsewhere.
    assert.deepEqual(
      manifests.filter((m) => m.metadata.name.includes('redis') || m.kind === 'Secret').map(key),
      [],
    );
    for (const relay of relays(manifests)) {
      const env = resolveEnv(relay.container, manifests);
      assert.equal(valueOf(env, 'REDIS_URL'), undefined, 'REDIS_URL only from the Secret');
      const secret = env.external.find((ref) => ref.name === 'smtp-relay-redis-url');
      assert.ok(secret && !secret.optional, 'REDIS_URL from Secret smtp-relay-redis-url');
      assert.equal(valueOf(env, 'REDIS_SENTINELS'), 'redis-node-0.redis-headless:26379');
      assert.equal(valueOf(env, 'REDIS_SENTINEL_MASTER'), 'mymaster');
      if (relay.service === 'ingress') assert.equal(valueOf(env, 'REDIS_WAIT_REPLICAS'), '1');
    }
  });

  it('refuses setups that cannot work, with a message naming the value', () => {
    const refusals: [Record<string, unknown>, RegExp][] = [
      [{ redis: { enabled: false } }, /redis\.external\.url/],
      [{ sender: { keda: { enabled: true } } }, /sender\.keda\.prometheusServerAddress/],
      [{ redis: { sentinel: { sentinels: ['a:26379'] } } }, /redis\.enabled=false/],
      [{ sender: { replicsa: 2 } }, /replicsa/], // values.schema.json
    ];
    for (const [setupValues, message] of refusals) {
      const file = valuesFile('refused', setupValues);
      const output = helm(['template', RELEASE, CHART, '--kube-version', KUBE_VERSION, '-f', file]);
      assert.notEqual(output.status, 0, JSON.stringify(setupValues));
      assert.match(output.stderr, message);
    }
  });

  for (const setup of Object.keys(SETUPS) as Setup[]) {
    it(`sets only variables the service reads, mounts every *_FILE, locks every pod down (${setup})`, () => {
      const manifests = rendered(setup);
      for (const { workload: w, container: c, service } of relays(manifests)) {
        const where = `${w.metadata.name} ${c.name}`;
        const env = resolveEnv(c, manifests);
        for (const { name, value } of env.entries) {
          const variable = variableFor(name);
          assert.ok(variable, `${where}: ${name} is not a configuration variable`);
          assert.ok(variable.section === 'common' || variable.section === service, name);
          if (!isFileVariable(name) || !value) continue;
          const mount = c.volumeMounts?.find((m) => value.startsWith(`${m.mountPath}/`));
          assert.ok(mount, `${where}: ${name}=${value} is in no volumeMount`);
          assert.ok(
            w.spec.template.spec.volumes?.some((v) => v.name === mount.name),
            `${where}: volume ${mount.name}`,
          );
        }
        const admin = Number(valueOf(env, 'ADMIN_PORT'));
        assert.equal(c.livenessProbe?.httpGet?.path, '/healthz', where);
        assert.equal(c.readinessProbe?.httpGet?.path, '/readyz', where);
        for (const probe of [c.livenessProbe, c.readinessProbe])
          assert.equal(resolvePort(c, probe.httpGet?.port), admin, `${where}: probe port`);
      }
      const budgets = manifests.filter((m) => m.kind === 'PodDisruptionBudget');
      for (const w of workloads(manifests)) {
        const pod = w.spec.template.spec;
        assert.equal(pod.enableServiceLinks, false, key(w));
        assert.equal(pod.automountServiceAccountToken, false, key(w));
        assert.ok((pod.terminationGracePeriodSeconds ?? 30) > SHUTDOWN_DEADLINE_SECONDS, key(w));
        assert.equal(pod.securityContext?.seccompProfile?.type, 'RuntimeDefault', key(w));
        for (const c of allContainers(w)) {
          const own: SecurityContext = c.securityContext ?? {};
          const effective: SecurityContext = { ...pod.securityContext, ...own };
          assert.equal(effective.runAsNonRoot, true, `${key(w)}: runAsNonRoot`);
          if (w.kind === 'Deployment') assert.equal(effective.runAsUser, RELAY_UID, key(w));
          assert.equal(own.readOnlyRootFilesystem, true, `${key(w)}: readOnlyRootFilesystem`);
          assert.equal(own.allowPrivilegeEscalation, false, key(w));
          assert.deepEqual(own.capabilities?.drop, ['ALL'], key(w));
          for (const resource of ['cpu', 'memory']) {
            const request = c.resources?.requests?.[resource];
            const limit = c.resources?.limits?.[resource];
            assert.ok(request !== undefined && limit !== undefined, `${key(w)} ${resource}`);
            assert.ok(quantity(request) <= quantity(limit), `${key(w)} ${resource}`);
          }
        }
        if (w.kind !== 'Deployment') continue;
        const matching = budgets.filter((b) =>
          selects(
            (b.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels,
            w.spec.template.metadata.labels,
          ),
        );
        assert.equal(matching.length, 1, `${key(w)}: one PodDisruptionBudget`);
      }
      for (const s of manifests.filter((m): m is Service => m.kind === 'Service')) {
        const selected = workloads(manifests).filter((w) =>
          selects(s.spec.selector, w.spec.template.metadata.labels),
        );
        assert.ok(selected.length > 0, `${key(s)} selects no pods`);
        for (const { targetPort, port } of s.spec.ports) {
          for (const w of selected)
            assert.ok(
              allContainers(w).some((c) => resolvePort(c, targetPort ?? port) !== undefined),
              `${key(s)}: ${w.metadata.name} has no port ${String(targetPort)}`,
            );
        }
      }
    });
  }
});
