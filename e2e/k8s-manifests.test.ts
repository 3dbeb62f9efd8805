// The Kubernetes manifests (infra/k8s) held against the product: every variable they set
// is one the service reads, ports and probes agree with the configuration, commands and
// images with docker-compose.yml, Redis keeps what it is given, pods are locked down.
// Each kustomization is rendered by e2e/k8s/kustomize.ts, and compared with
// `kubectl kustomize` wherever kubectl is installed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { after, describe, it } from 'node:test';
import { VARIABLES } from '@smtp-relay/config';
import {
  parseYamlDocuments,
  renderKustomization,
  splitImage,
  withoutNameHashes,
  type Manifest,
  type Rendering,
} from './k8s/kustomize.ts';
import {
  K8S_ROOT,
  RELAY_UID,
  REPOSITORY_ROOT,
  SHUTDOWN_DEADLINE_SECONDS,
  isComposeCommand,
  isFileVariable,
  readComposeRedisConf,
  readComposeServices,
  redisBytes,
  redisDirectives,
  senderMetricsText,
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

const compose = readComposeServices();
/** The relay image's name without registry and tag ("smtp-relay"), as compose names it. */
const imageName = (image: string) => splitImage(image)[0].split('/').at(-1);
const RELAY_IMAGE = imageName(compose.get('ingress')?.image ?? '');
const HAS_KUBECTL = spawnSync('kubectl', ['version', '--client']).status === 0;
const EXTERNAL_REDIS_SECRET = 'smtp-relay-redis-url';

// The external-Redis setup of docs/kubernetes.md: the prod overlay plus the component.
const scratch = mkdtempSync(join(tmpdir(), 'k8s-manifests-'));
after(() => {
  rmSync(scratch, { recursive: true, force: true });
});
writeFileSync(
  join(scratch, 'kustomization.yaml'),
  [
    'resources:',
    `  - ${relative(scratch, join(K8S_ROOT, 'overlays/prod'))}`,
    'components:',
    `  - ${relative(scratch, join(K8S_ROOT, 'components/external-redis'))}`,
    '',
  ].join('\n'),
);

// docs/kubernetes.md "Redis with Sentinel": the same with the Sentinel component.
const sentinelScratch = join(scratch, 'sentinel');
mkdirSync(sentinelScratch);
writeFileSync(
  join(sentinelScratch, 'kustomization.yaml'),
  [
    'resources:',
    `  - ${relative(sentinelScratch, join(K8S_ROOT, 'overlays/prod'))}`,
    'components:',
    `  - ${relative(sentinelScratch, join(K8S_ROOT, 'components/external-redis'))}`,
    `  - ${relative(sentinelScratch, join(K8S_ROOT, 'components/redis-sentinel'))}`,
    '',
  ].join('\n'),
);

const DIRECTORIES = {
  base: join(K8S_ROOT, 'base'),
  prod: join(K8S_ROOT, 'overlays/prod'),
  'external Redis': scratch,
  'Redis with Sentinel': sentinelScratch,
} as const;
type Setup = keyof typeof DIRECTORIES;
const rendered = Object.fromEntries(
  Object.entries(DIRECTORIES).map(([setup, dir]) => [setup, renderKustomization(dir)]),
) as Record<Setup, Rendering>;

interface RelayContainer {
  readonly workload: Workload;
  readonly container: Container;
  /** the docker-compose service, which is also the config section */
  readonly service: 'ingress' | 'sender';
}

function relayContainers(manifests: readonly Manifest[]): RelayContainer[] {
  return workloads(manifests).flatMap((workload) =>
    allContainers(workload)
      .filter((c) => imageName(c.image) === RELAY_IMAGE)
      .map((container) => {
        assert.ok(container.name === 'ingress' || container.name === 'sender', container.name);
        return { workload, container, service: container.name };
      }),
  );
}

function at(workload: Workload, what: string): string {
  return `${workload.kind} ${workload.metadata.name}: ${what}`;
}

function atRelay({ workload, container }: RelayContainer, what: string): string {
  return at(workload, `${container.name}: ${what}`);
}

for (const setup of Object.keys(DIRECTORIES) as Setup[]) {
  const { manifests } = rendered[setup];
  const relays = relayContainers(manifests);

  describe(`k8s ${setup}`, () => {
    it('runs ingress and sender with the commands and image of docker-compose.yml', () => {
      // relayContainers() finds them by the image of docker-compose.yml's relay services.
      assert.deepEqual(relays.map((r) => r.service).sort(), ['ingress', 'sender']);
      for (const relay of relays) {
        const expected = compose.get(relay.service)?.command ?? [];
        const { command = [], args } = relay.container;
        assert.ok(
          isComposeCommand(command, expected),
          atRelay(relay, `command ${command.join(' ')}, not ${expected.join(' ')}`),
        );
        assert.equal(args, undefined, atRelay(relay, 'args'));
      }
    });

    it('sets only variables the service reads, each once, SMTP_HOSTNAME and SMART_HOST included', () => {
      for (const relay of relays) {
        const env = resolveEnv(relay.container, manifests);
        const names = env.entries.map((e) => e.name);
        assert.deepEqual(names, [...new Set(names)], atRelay(relay, 'a variable is set twice'));
        for (const { name, source } of env.entries) {
          const variable = variableFor(name);
          assert.ok(
            variable,
            atRelay(relay, `${name} (from ${source}) is not a configuration variable`),
          );
          assert.ok(
            variable.section === 'common' || variable.section === relay.service,
            atRelay(relay, `${name} is a ${variable.section} variable`),
          );
          assert.ok(
            !names.includes(`${name}_FILE`),
            atRelay(relay, `${name} and ${name}_FILE both set`),
          );
        }
        // A pod's host name means nothing to the mail admins who read greetings and headers.
        assert.ok(valueOf(env, 'SMTP_HOSTNAME'), atRelay(relay, 'SMTP_HOSTNAME must be set'));
        if (relay.service === 'sender')
          assert.ok(valueOf(env, 'SMART_HOST'), atRelay(relay, 'SMART_HOST'));
      }
    });

    it('gives every variable a value the service accepts', () => {
      for (const relay of relays) {
        for (const { name, value } of resolveEnv(relay.container, manifests).entries) {
          const text = value?.trim();
          if (text === undefined || text === '') continue; // unset, or in a Secret made elsewhere
          if (isFileVariable(name)) {
            assert.ok(
              text.startsWith('/'),
              atRelay(relay, `${name}=${text} is not an absolute path`),
            );
            continue; // checked against the mounts below
          }
          const result = variableFor(name)?.schema.safeParse(text);
          assert.ok(result?.success, atRelay(relay, `${name}=${text}: ${String(result?.error)}`));
        }
      }
    });

    it('listens where the configuration says: SMTP_PORT, SMTPS_PORT, ADMIN_PORT and the probes', () => {
      for (const relay of relays) {
        const { container } = relay;
        const env = resolveEnv(container, manifests);
        const port = (name: string) => {
          const value = valueOf(env, name);
          return value === undefined || value === '' ? undefined : Number(value);
        };
        const admin = port('ADMIN_PORT');
        assert.ok(
          admin !== undefined && admin > 0,
          atRelay(relay, 'ADMIN_PORT must be set (probes use it)'),
        );
        const portNamed = (name: string) =>
          container.ports?.find((p) => p.name === name)?.containerPort;
        assert.equal(portNamed('admin'), admin, atRelay(relay, 'port "admin" is ADMIN_PORT'));
        const { livenessProbe, readinessProbe } = container;
        assert.equal(livenessProbe?.httpGet?.path, '/healthz', atRelay(relay, 'liveness probe'));
        assert.equal(readinessProbe?.httpGet?.path, '/readyz', atRelay(relay, 'readiness probe'));
        for (const probe of [livenessProbe, readinessProbe]) {
          assert.equal(
            resolvePort(container, probe.httpGet?.port),
            admin,
            atRelay(relay, 'probe port'),
          );
        }
        const expected: (number | undefined)[] = [admin];
        if (relay.service === 'ingress') {
          assert.equal(
            portNamed('smtp'),
            port('SMTP_PORT'),
            atRelay(relay, 'port "smtp" is SMTP_PORT'),
          );
          assert.equal(
            portNamed('smtps'),
            port('SMTPS_PORT'),
            atRelay(relay, 'port "smtps" is SMTPS_PORT'),
          );
          expected.push(port('SMTP_PORT'), port('SMTPS_PORT'));
        }
        for (const { containerPort } of container.ports ?? []) {
          assert.ok(
            expected.includes(containerPort),
            atRelay(relay, `port ${containerPort} listens nowhere`),
          );
        }
      }
    });

    it('has Services that select pods and target ports those pods open', () => {
      const services = manifests.filter((m): m is Service => m.kind === 'Service');
      for (const service of services) {
        const selected = workloads(manifests).filter((w) =>
          selects(service.spec.selector, w.spec.template.metadata.labels),
        );
        assert.ok(selected.length > 0, `Service ${service.metadata.name} selects no pods`);
        for (const { port, targetPort } of service.spec.ports) {
          for (const workload of selected) {
            const opened = allContainers(workload).some(
              (c) => resolvePort(c, targetPort ?? port) !== undefined,
            );
            assert.ok(
              opened,
              `Service ${service.metadata.name}: ${workload.metadata.name} has no port ${String(targetPort)}`,
            );
          }
        }
      }
      // Every SMTP listener is reachable through a Service.
      for (const relay of relays.filter((r) => r.service === 'ingress')) {
        for (const name of ['smtp', 'smtps'].filter((n) => resolvePort(relay.container, n))) {
          const exposed = services.some((s) => s.spec.ports.some((p) => p.targetPort === name));
          assert.ok(exposed, atRelay(relay, `no Service targets port ${name}`));
        }
      }
    });

    it('mounts every file a variable names (SMTP_AUTH_FILE, TLS_*_FILE, NAME_FILE)', () => {
      for (const relay of relays) {
        const volumes = relay.workload.spec.template.spec.volumes ?? [];
        for (const { name, value } of resolveEnv(relay.container, manifests).entries) {
          if (!isFileVariable(name) || value === undefined || value.trim() === '') continue;
          const path = value.trim();
          const mount = relay.container.volumeMounts?.find((m) =>
            path.startsWith(`${m.mountPath}/`),
          );
          assert.ok(mount, atRelay(relay, `${name}=${path} is in no volumeMount`));
          const volume = volumes.find((v) => v.name === mount.name);
          assert.ok(volume, atRelay(relay, `volume ${mount.name} is not defined`));
          const file = path.slice(mount.mountPath.length + 1);
          const source = volume.secret
            ? { kind: 'Secret', name: volume.secret.secretName, items: volume.secret.items }
            : volume.configMap && { kind: 'ConfigMap', ...volume.configMap };
          assert.ok(
            source,
            atRelay(relay, `${name}: volume ${volume.name} is not a Secret or ConfigMap`),
          );
          const object = named(manifests, source.kind, source.name);
          const keys =
            source.items?.map((item) => item.path) ??
            (object &&
              Object.keys({ ...(object.data as object), ...(object.stringData as object) }));
          // A Secret created outside the manifests (TLS from cert-manager) has keys we cannot see.
          if (keys !== undefined)
            assert.ok(
              keys.includes(file),
              atRelay(relay, `${name}: ${source.kind} ${source.name} has no ${file}`),
            );
        }
      }
    });

    it('locks every pod down: no service links, no token, grace above the shutdown deadline', () => {
      for (const workload of workloads(manifests)) {
        const pod = workload.spec.template.spec;
        // A Service named "smtp" would inject SMTP_PORT=tcp://...: a configuration variable.
        assert.equal(pod.enableServiceLinks, false, at(workload, 'enableServiceLinks'));
        assert.equal(
          pod.automountServiceAccountToken,
          false,
          at(workload, 'automountServiceAccountToken'),
        );
        assert.ok(
          (pod.terminationGracePeriodSeconds ?? 30) > SHUTDOWN_DEADLINE_SECONDS,
          at(workload, 'terminationGracePeriodSeconds'),
        );
        assert.equal(
          pod.securityContext?.seccompProfile?.type,
          'RuntimeDefault',
          at(workload, 'seccomp'),
        );
        for (const container of allContainers(workload)) {
          const where = at(workload, container.name);
          const own = container.securityContext ?? {};
          const effective: SecurityContext = { ...pod.securityContext, ...own };
          assert.equal(effective.runAsNonRoot, true, `${where}: runAsNonRoot`);
          assert.ok((effective.runAsUser ?? 0) > 0, `${where}: runAsUser`);
          if (imageName(container.image) === RELAY_IMAGE)
            assert.equal(effective.runAsUser, RELAY_UID, where);
          assert.equal(own.readOnlyRootFilesystem, true, `${where}: readOnlyRootFilesystem`);
          assert.equal(own.allowPrivilegeEscalation, false, `${where}: allowPrivilegeEscalation`);
          assert.notEqual(own.privileged, true, `${where}: privileged`);
          assert.deepEqual(own.capabilities?.drop, ['ALL'], `${where}: capabilities.drop`);
          assert.equal(own.capabilities.add, undefined, `${where}: capabilities.add`);
        }
      }
    });

    it('gives every container CPU and memory requests and limits', () => {
      for (const workload of workloads(manifests)) {
        for (const { name, resources } of allContainers(workload)) {
          for (const resource of ['cpu', 'memory']) {
            const request = resources?.requests?.[resource];
            const limit = resources?.limits?.[resource];
            assert.ok(
              request !== undefined && limit !== undefined,
              at(workload, `${name} ${resource}`),
            );
            assert.ok(
              quantity(request) <= quantity(limit),
              at(workload, `${name} ${resource} request > limit`),
            );
          }
        }
      }
    });

    it('protects every Deployment with a PodDisruptionBudget that lets drains proceed', () => {
      const budgets = manifests.filter((m) => m.kind === 'PodDisruptionBudget');
      for (const workload of workloads(manifests).filter((w) => w.kind === 'Deployment')) {
        const labels = workload.spec.template.metadata.labels;
        const matching = budgets.filter((b) =>
          selects(
            (b.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels,
            labels,
          ),
        );
        assert.equal(matching.length, 1, at(workload, 'one PodDisruptionBudget'));
        const spec = matching[0]?.spec as {
          maxUnavailable?: number;
          unhealthyPodEvictionPolicy?: string;
        };
        // maxUnavailable ≥ 1: one pod at a time, and a single replica never blocks a drain.
        assert.ok((spec.maxUnavailable ?? 0) >= 1, at(workload, 'PDB maxUnavailable'));
        assert.equal(spec.unhealthyPodEvictionPolicy, 'AlwaysAllow', at(workload, 'PDB'));
      }
    });

    it('points REDIS_URL at a Redis that keeps what it is given, as infra/redis/redis.conf does', () => {
      const redis = named(workloads(manifests), 'StatefulSet', 'smtp-relay-redis');
      for (const relay of relays) {
        const env = resolveEnv(relay.container, manifests);
        if (redis === undefined) {
          // The URL may carry a password: it comes from a Secret, and only from there.
          assert.deepEqual(
            env.entries.filter((e) => e.name === 'REDIS_URL'),
            [],
            atRelay(relay, 'REDIS_URL'),
          );
          const secret = env.external.find((ref) => ref.name === EXTERNAL_REDIS_SECRET);
          assert.ok(
            secret && !secret.optional,
            atRelay(relay, `REDIS_URL from Secret ${EXTERNAL_REDIS_SECRET}`),
          );
          continue;
        }
        const url = new URL(valueOf(env, 'REDIS_URL') ?? '');
        const service = named(manifests, 'Service', url.hostname) as Service | undefined;
        assert.ok(
          service && selects(service.spec.selector, redis.spec.template.metadata.labels),
          atRelay(relay, `REDIS_URL ${url.href}: no Service for Redis`),
        );
        const servicePort = service.spec.ports.find((p) => p.port === Number(url.port || 6379));
        const [container] = redis.spec.template.spec.containers;
        assert.ok(container && servicePort, atRelay(relay, `REDIS_URL port ${url.port}`));
        assert.equal(
          resolvePort(container, servicePort.targetPort),
          6379,
          'Redis Service targetPort',
        );
      }
      if (redis === undefined) {
        const leftovers = manifests.filter((m) => m.metadata.name === 'smtp-relay-redis');
        assert.deepEqual(
          leftovers.map((m) => m.kind),
          [],
          'external Redis: bundled Redis objects left',
        );
        return;
      }
      const [container] = redis.spec.template.spec.containers;
      assert.ok(container?.args, 'Redis args');
      const composeRedis = compose.get('redis');
      assert.equal(container.image, composeRedis?.image, 'Redis image as in docker-compose.yml');
      const expected = composeRedis?.command ?? [];
      // args, as Compose's command: the image's entrypoint runs in both.
      assert.ok(
        isComposeCommand(container.args, expected),
        `Redis args ${container.args.join(' ')}, not ${expected.join(' ')}`,
      );
      const confPath = container.args[1] ?? '';
      const confMount = container.volumeMounts?.find((m) => m.mountPath === dirname(confPath));
      const confVolume = redis.spec.template.spec.volumes?.find((v) => v.name === confMount?.name);
      const configMap = named(manifests, 'ConfigMap', confVolume?.configMap?.name ?? '');
      const confText = (configMap?.data as Record<string, string> | undefined)?.[
        basename(confPath)
      ];
      assert.ok(confText !== undefined, `${confPath} is not mounted from a ConfigMap`);
      const directives = redisDirectives(confText);
      for (const [name, value] of readComposeRedisConf()) {
        assert.equal(
          directives.get(name),
          value,
          `redis.conf ${name} as in infra/redis/redis.conf`,
        );
      }
      assert.equal(directives.get('appendonly'), 'yes');
      assert.equal(directives.get('maxmemory-policy'), 'noeviction');
      const data = container.volumeMounts?.find((m) => m.mountPath === directives.get('dir'));
      const claims = redis.spec.volumeClaimTemplates?.map((t) => t.metadata.name) ?? [];
      assert.ok(data && claims.includes(data.name), 'Redis dir is on a PersistentVolumeClaim');
      // Below the limit: full memory means refused writes (451), not an OOM kill.
      const maxmemory = container.args[container.args.indexOf('--maxmemory') + 1] ?? '';
      const limit = quantity(container.resources?.limits?.memory ?? 0);
      assert.ok(redisBytes(maxmemory) <= 0.75 * limit, `maxmemory ${maxmemory} near the limit`);
    });

    it('documents how to create every Secret it needs but does not hold', () => {
      const docs = readFileSync(join(REPOSITORY_ROOT, 'docs/kubernetes.md'), 'utf8');
      const needed = new Set<string>();
      for (const workload of workloads(manifests)) {
        for (const container of allContainers(workload)) {
          for (const ref of resolveEnv(container, manifests).external)
            needed.add(`${ref.kind} ${ref.name}`);
        }
        for (const { secret, configMap } of workload.spec.template.spec.volumes ?? []) {
          if (secret) needed.add(`Secret ${secret.secretName}`);
          if (configMap) needed.add(`ConfigMap ${configMap.name}`);
        }
      }
      for (const reference of needed) {
        const [kind = '', name = ''] = reference.split(' ');
        if (named(manifests, kind, name)) continue;
        assert.equal(kind, 'Secret', `${reference} is referenced but not rendered`);
        assert.match(
          docs,
          new RegExp(`create secret \\w+ ${name}\\b`),
          `docs/kubernetes.md: ${name}`,
        );
      }
    });

    it(
      'renders as `kubectl kustomize` does',
      { skip: !HAS_KUBECTL && 'kubectl not installed' },
      () => {
        const dir = DIRECTORIES[setup];
        const output = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
        assert.equal(output.status, 0, output.stderr);
        const key = (m: Manifest) => `${m.kind}/${m.metadata.namespace ?? ''}/${m.metadata.name}`;
        const sorted = (list: readonly unknown[]) =>
          [...(list as Manifest[])].sort((a, b) => key(a).localeCompare(key(b)));
        const theirs = withoutNameHashes(
          parseYamlDocuments(output.stdout, dir),
          rendered[setup].generated,
        );
        assert.deepEqual(sorted(manifests), sorted(theirs));
      },
    );
  });
}

describe('k8s base', () => {
  const { manifests } = rendered.base;
  it('is self-contained, and its placeholder Secrets hold no credential', () => {
    for (const { container } of relayContainers(manifests)) {
      assert.deepEqual(
        resolveEnv(container, manifests).external,
        [],
        `${container.name}: references`,
      );
    }
    for (const workload of workloads(manifests)) {
      for (const volume of workload.spec.template.spec.volumes ?? []) {
        const [kind, name] = volume.secret
          ? ['Secret', volume.secret.secretName]
          : ['ConfigMap', volume.configMap?.name];
        if (name !== undefined)
          assert.ok(named(manifests, kind, name), `${kind} ${name} is not in the base`);
      }
    }
    for (const secret of manifests.filter((m) => m.kind === 'Secret')) {
      for (const [key, value] of Object.entries(secret.stringData as Record<string, string>)) {
        const content = value
          .split('\n')
          .filter((line) => line.trim() !== '' && !line.startsWith('#'));
        assert.deepEqual(
          content,
          [],
          `Secret ${secret.metadata.name} ${key} must stay a placeholder`,
        );
      }
    }
  });
});

describe('k8s prod', () => {
  const { manifests } = rendered.prod;
  const deployment = (name: string) => named(workloads(manifests), 'Deployment', name);

  it('runs 2 ingress replicas and leaves the sender count to KEDA (3 and up, on waiting messages)', async () => {
    assert.equal(deployment('smtp-relay-ingress')?.spec.replicas, 2);
    // No replicas field: `kubectl apply` would otherwise reset what the autoscaler chose.
    assert.equal(deployment('smtp-relay-sender')?.spec.replicas, undefined);
    const scaled = named(manifests, 'ScaledObject', 'smtp-relay-sender')?.spec as {
      scaleTargetRef: { kind: string; name: string };
      minReplicaCount: number;
      maxReplicaCount: number;
      triggers: { type: string; metadata: { query: string } }[];
    };
    assert.ok(deployment(scaled.scaleTargetRef.name), 'ScaledObject target');
    assert.equal(scaled.minReplicaCount, 3);
    assert.ok(scaled.maxReplicaCount > scaled.minReplicaCount);
    const [trigger] = scaled.triggers;
    assert.equal(trigger?.type, 'prometheus');
    const query = trigger.metadata.query;
    // Each sender reports the whole queue's depth: max, never sum.
    assert.match(query, /^max\(smtp_relay_queue_messages\{[^}]*state="waiting"/);
    const exported = await senderMetricsText(7);
    assert.match(exported, /^smtp_relay_queue_messages\{state="waiting"\} 7$/m);
    for (const metric of query.match(/smtp_relay_\w+/g) ?? []) {
      assert.match(exported, new RegExp(`^# TYPE ${metric} `, 'm'), `${metric} is not exported`);
    }
  });

  it('pins the image, enables TLS and SMTPS, and keeps client addresses', () => {
    for (const { container } of relayContainers(manifests)) {
      const [, tag] = splitImage(container.image);
      assert.ok(
        tag !== undefined && tag !== 'latest',
        `${container.name}: image ${container.image}`,
      );
    }
    const ingress = relayContainers(manifests).find((r) => r.service === 'ingress');
    const env = ingress && resolveEnv(ingress.container, manifests);
    for (const name of ['TLS_CERT_FILE', 'TLS_KEY_FILE', 'SMTPS_PORT'])
      assert.ok(env && valueOf(env, name), name);
    const smtp = named(manifests, 'Service', 'smtp-relay')?.spec as Service['spec'] &
      Record<string, unknown>;
    assert.ok(
      smtp.ports.some((p) => p.port === 465 && p.targetPort === 'smtps'),
      'SMTPS on 465',
    );
    // SMTP_RELAY_NETWORKS and Received: headers need the client's own address.
    assert.equal(smtp.type, 'LoadBalancer');
    assert.equal(smtp.externalTrafficPolicy, 'Local');
  });

  it('puts everything in the namespace smtp-relay but leaves the namespace and Secrets out', () => {
    for (const manifest of manifests) {
      assert.equal(
        manifest.metadata.namespace,
        'smtp-relay',
        `${manifest.kind} ${manifest.metadata.name}`,
      );
    }
    // Deleting the manifests must never delete the namespace, and with it Redis' volume.
    assert.ok(!manifests.some((m) => m.kind === 'Namespace'), 'a Namespace in the overlay');
    assert.ok(
      !manifests.some((m) => m.kind === 'Secret'),
      'a placeholder would overwrite a real Secret',
    );
  });
});

describe('k8s ingress.env', () => {
  // A new ingress variable (the abuse protection ones were missed once) shows up here,
  // set, or commented out where it needs a mount first, so operators find it.
  it('names every ingress variable, set or commented out, unless a manifest sets it', () => {
    const text = readFileSync(join(K8S_ROOT, 'base/config/ingress.env'), 'utf8');
    const listed = new Set([...text.matchAll(/^(?:# )?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
    const ingress = relayContainers(rendered.prod.manifests).find((r) => r.service === 'ingress');
    assert.ok(ingress);
    const setByManifests = resolveEnv(ingress.container, rendered.prod.manifests).entries.map(
      (e) => e.name,
    );
    const missing = VARIABLES.filter((v) => v.section === 'ingress')
      .map((v) => v.name)
      // docker-compose.yml's alone: where it publishes the SMTP port
      .filter((name) => name !== 'SMTP_PUBLISHED_ON')
      .filter((name) => !listed.has(name) && !setByManifests.includes(name));
    assert.deepEqual(missing, []);
  });
});

describe('k8s files', () => {
  it('parses every YAML file under infra/k8s, and every file there is used', () => {
    const used = new Set(Object.values(rendered).flatMap((r) => [...r.files]));
    const files = readdirSync(K8S_ROOT, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name));
    assert.ok(files.length > 0);
    for (const file of files) {
      if (/\.ya?ml$/.test(file)) parseYamlDocuments(readFileSync(file, 'utf8'), file);
      assert.ok(used.has(file), `${relative(REPOSITORY_ROOT, file)} is used by no kustomization`);
    }
  });
});
