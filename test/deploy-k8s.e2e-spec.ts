import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { APP_DB_ROLES, loadConfig } from '@gatehouse/config';
import { generateCredentialKeyPair } from '@gatehouse/crypto';
import { bullPrefix, PROXY_JOB_NAME, PROXY_JOB_OPTIONS, QueueName } from '@gatehouse/queue';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IEnvVar } from 'kubernetes-models/v1/EnvVar';
import type { INetworkPolicySpec } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicySpec';
import type { INetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer';
import { parse, parseAllDocuments } from 'yaml';
import {
  ipv4Within,
  K8S_DIR,
  type K8sObject,
  loadManifests,
  manifestFiles,
  podTemplateOf,
  PRIVATE_IPV4,
  selects,
  validateObject,
} from './support/k8s-manifests.js';
import { createRedisNamespace, TEST_REDIS_URL } from './support/test-redis.js';

/**
 * The Kubernetes base in deploy/k8s, checked offline as the compose test checks
 * docker-compose.yml: every object against the Kubernetes schemas (kubernetes-models), then the
 * rules those schemas cannot express: secrets only by reference and only to the app that uses
 * them, hardened pods, probes and limits, default-deny networking with the compose networks'
 * paths and no others, and the autoscaler on the gateway. The KEDA example in docs/scaling.md is
 * checked against the queue's real BullMQ keys in Redis.
 */

const ROOT = resolve(import.meta.dirname, '..');
const manifests = loadManifests();
const objects = manifests.map((m) => m.object);
const ofKind = (kind: string) => objects.filter((o) => o.kind === kind);
const named = (kind: string, name: string): K8sObject => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
};

const APPS = ['gateway', 'proxy-worker', 'audit'] as const;
type Workload = (typeof APPS)[number] | 'migrate';
const WORKLOADS: Record<Workload, K8sObject> = {
  gateway: named('Deployment', 'gateway'),
  'proxy-worker': named('Deployment', 'proxy-worker'),
  audit: named('Deployment', 'audit'),
  migrate: named('Job', 'gatehouse-migrate'),
};
const SECRET_NAME = /(_KEYS?$|PASSWORD|SECRET|TOKEN|PEPPER)/;
const COMPONENT = 'app.kubernetes.io/component';

function podOf(workload: Workload) {
  const template = podTemplateOf(WORKLOADS[workload]);
  if (!template?.spec) throw new Error(`${workload} has no pod template`);
  return { labels: template.metadata?.labels ?? {}, spec: template.spec };
}
const containersOf = (workload: Workload): IContainer[] => podOf(workload).spec.containers;
const envOf = (container: IContainer): IEnvVar[] => container.env ?? [];

const settings = named('ConfigMap', 'gatehouse-settings').data as Record<string, string>;
const policies = ofKind('NetworkPolicy').map((o) => ({
  name: o.metadata.name,
  spec: o.spec as INetworkPolicySpec,
}));

/** The policies that select a workload's pods, and what they allow it, per direction. */
function policiesFor(workload: Workload, type: 'Ingress' | 'Egress') {
  const labels = podOf(workload).labels;
  return policies.filter(
    (p) => selects(p.spec.podSelector ?? {}, labels) && (p.spec.policyTypes ?? []).includes(type),
  );
}
function egressOf(workload: Workload) {
  return policiesFor(workload, 'Egress').flatMap((p) => p.spec.egress ?? []);
}
function ingressOf(workload: Workload) {
  return policiesFor(workload, 'Ingress').flatMap((p) => p.spec.ingress ?? []);
}
/** The port every app's metrics listener is on (METRICS_PORT in the settings). */
const METRICS_PORT = 9464;
/** A rule letting Prometheus in the monitoring namespace scrape the metrics port, and only it. */
type IngressRule = ReturnType<typeof ingressOf>[number];
const isMetricsScrape = (rule: IngressRule) =>
  JSON.stringify(rule.ports) === JSON.stringify([{ protocol: 'TCP', port: METRICS_PORT }]) &&
  (rule.from ?? []).length > 0 &&
  (rule.from ?? []).every(
    (peer) =>
      peer.ipBlock === undefined &&
      peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'monitoring' &&
      peer.podSelector?.matchLabels?.['app.kubernetes.io/name'] === 'prometheus',
  );
const isDns = (peer: INetworkPolicyPeer) =>
  peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'kube-system' &&
  peer.podSelector?.matchLabels?.['k8s-app'] === 'kube-dns';

describe('deploy/k8s', () => {
  it('lists every manifest in kustomization.yaml, and nothing else', () => {
    const kustomization = parse(readFileSync(join(K8S_DIR, 'kustomization.yaml'), 'utf8')) as {
      kind: string;
      namespace: string;
      resources: string[];
      images: { name: string }[];
    };
    expect(kustomization.kind).toBe('Kustomization');
    expect([...kustomization.resources].sort()).toEqual(manifestFiles());
    expect(kustomization.namespace).toBe('gatehouse');
    // Every container runs the one image that the kustomization sets.
    expect(kustomization.images.map((i) => i.name)).toEqual(['gatehouse']);
    for (const workload of Object.keys(WORKLOADS) as Workload[]) {
      for (const c of containersOf(workload))
        expect([workload, c.image]).toEqual([workload, 'gatehouse']);
    }
  });

  it('holds only valid Kubernetes objects (offline schemas)', () => {
    expect(manifests.length).toBeGreaterThan(10);
    for (const manifest of manifests) expect(() => validateObject(manifest)).not.toThrow();
    // The check bites: a wrong type and a missing required field are refused.
    const gateway = structuredClone(WORKLOADS.gateway);
    (gateway.spec as { replicas: unknown }).replicas = 'two';
    expect(() => validateObject({ file: 'x', object: gateway })).toThrow(/replicas/);
    const hpa = structuredClone(named('HorizontalPodAutoscaler', 'gateway'));
    delete (hpa.spec as { scaleTargetRef?: unknown }).scaleTargetRef;
    expect(() => validateObject({ file: 'x', object: hpa })).toThrow(/scaleTargetRef/);
    expect(() =>
      validateObject({
        file: 'x',
        object: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } },
      }),
    ).toThrow(/no schema/);
  });

  it('leaves the namespace to kustomize, and runs it under the restricted Pod Security Standard', () => {
    for (const o of objects) {
      expect([o.kind, o.metadata.name, o.metadata.namespace]).toEqual([
        o.kind,
        o.metadata.name,
        undefined,
      ]);
      expect([o.kind, o.metadata.name, o.metadata.labels?.['app.kubernetes.io/name']]).toEqual([
        o.kind,
        o.metadata.name,
        'gatehouse',
      ]);
    }
    const ns = named('Namespace', 'gatehouse');
    expect(ns.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  it('defines no Secret and inlines no secret value: only references', () => {
    expect(ofKind('Secret')).toEqual([]);
    for (const workload of Object.keys(WORKLOADS) as Workload[]) {
      for (const c of containersOf(workload)) {
        for (const variable of envOf(c)) {
          if (SECRET_NAME.test(variable.name) && variable.name !== 'CREDENTIALS_PUBLIC_KEY') {
            expect([
              workload,
              variable.name,
              variable.value,
              variable.valueFrom?.secretKeyRef?.key,
            ]).toEqual([workload, variable.name, undefined, variable.name]);
          }
        }
        // All of a container's config maps are the settings or the public key; no envFrom secret
        // (which would hand over every key of it).
        for (const source of c.envFrom ?? []) expect(source.secretRef).toBeUndefined();
      }
    }
    for (const [name, value] of Object.entries(settings)) {
      expect([name, SECRET_NAME.test(name)]).toEqual([name, false]);
      expect(value).not.toMatch(/change-me/);
    }
    // No credential in the URLs: they say where, each app adds its own role's password.
    expect(new URL(settings.DATABASE_URL).password).toBe('');
    expect(new URL(settings.DATABASE_URL).username).toBe('');
    expect(new URL(settings.REDIS_URL).password).toBe('');
    const text = manifestFiles()
      .map((file) => readFileSync(join(K8S_DIR, file), 'utf8'))
      .join('\n');
    expect(text).not.toMatch(/\bsk-[A-Za-z0-9_-]{6,}/);
    expect(text).not.toMatch(/\bgk_[A-Za-z0-9]/);
    expect(text).not.toMatch(/\b[0-9a-f]{32,}\b/i);
    // Data only in the settings ConfigMap, whose names and values are checked above.
    const withData = objects.filter((o) => 'data' in o || 'stringData' in o || 'binaryData' in o);
    expect(withData.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ConfigMap/gatehouse-settings',
    ]);
  });

  it('gives each app exactly the secrets it uses, as compose does, and each starts with them', () => {
    const secretsOf = (workload: Workload) =>
      Object.fromEntries(
        containersOf(workload)
          .flatMap(envOf)
          .filter((v) => v.valueFrom?.secretKeyRef)
          .map((v) => [v.name, v.valueFrom?.secretKeyRef?.name]),
      );
    expect(
      Object.fromEntries(Object.keys(WORKLOADS).map((w) => [w, secretsOf(w as Workload)])),
    ).toEqual({
      gateway: {
        ADMIN_API_KEY: 'gatehouse-gateway',
        KEY_PEPPER: 'gatehouse-gateway',
        PII_VAULT_KEY: 'gatehouse-gateway',
        GATEWAY_DB_PASSWORD: 'gatehouse-gateway',
        AUDIT_EVENT_KEY: 'gatehouse-audit-event-key',
        REDIS_PASSWORD: 'gatehouse-redis',
      },
      'proxy-worker': {
        CREDENTIALS_PRIVATE_KEYS: 'gatehouse-proxy-worker',
        PROXY_WORKER_DB_PASSWORD: 'gatehouse-proxy-worker',
        AUDIT_EVENT_KEY: 'gatehouse-audit-event-key',
        REDIS_PASSWORD: 'gatehouse-redis',
      },
      audit: {
        AUDIT_CHAIN_KEY: 'gatehouse-audit',
        AUDIT_DB_PASSWORD: 'gatehouse-audit',
        AUDIT_EVENT_KEY: 'gatehouse-audit-event-key',
        REDIS_PASSWORD: 'gatehouse-redis',
      },
      migrate: { APP_DB_PASSWORD: 'gatehouse-db-owner' },
    });

    // What each process would see, with generated values for what the cluster fills in: the
    // production config accepts it (it refuses a missing secret, and any secret the app does not
    // use), and each app logs in to Postgres as its own role.
    const keys = generateCredentialKeyPair();
    const fill = (name: string) =>
      name === 'CREDENTIALS_PRIVATE_KEYS'
        ? keys.privateKey
        : name === 'CREDENTIALS_PUBLIC_KEY'
          ? keys.publicKey
          : randomBytes(32).toString('hex');
    const processEnv = (workload: Workload): Record<string, string> => {
      const [container] = containersOf(workload);
      if (!container) throw new Error(`${workload} has no container`);
      const env: Record<string, string> = {};
      for (const source of container.envFrom ?? []) {
        expect(source.configMapRef?.name).toBe('gatehouse-settings');
        Object.assign(env, settings);
      }
      for (const v of envOf(container)) env[v.name] = v.value ?? fill(v.name);
      return env;
    };
    for (const app of APPS) {
      const { config } = loadConfig(app, processEnv(app));
      expect([app, config.NODE_ENV, config.DB_RUN_MIGRATIONS]).toEqual([app, 'production', false]);
      expect([app, new URL(config.DATABASE_URL).username]).toEqual([app, APP_DB_ROLES[app]]);
    }
    const { config } = loadConfig('cli', processEnv('migrate'));
    expect(new URL(config.DATABASE_URL).username).toBe(settings.APP_DB_USER);
    // The public key is public, but only the gateway seals with it.
    const publicKeyHolders = (Object.keys(WORKLOADS) as Workload[]).filter((w) =>
      containersOf(w)
        .flatMap(envOf)
        .some((v) => v.name === 'CREDENTIALS_PUBLIC_KEY'),
    );
    expect(publicKeyHolders).toEqual(['gateway']);
  });

  it('hardens every pod and container: non-root, read-only, no privilege, no capability', () => {
    const accounts = ofKind('ServiceAccount');
    for (const workload of Object.keys(WORKLOADS) as Workload[]) {
      const { spec } = podOf(workload);
      expect({
        workload,
        runAsNonRoot: spec.securityContext?.runAsNonRoot,
        root: spec.securityContext?.runAsUser === 0,
        seccomp: spec.securityContext?.seccompProfile?.type,
        token: spec.automountServiceAccountToken,
        host: [spec.hostNetwork, spec.hostPID, spec.hostIPC].some(Boolean),
        hostPaths: (spec.volumes ?? []).filter((v) => v.hostPath).length,
      }).toEqual({
        workload,
        runAsNonRoot: true,
        root: false,
        seccomp: 'RuntimeDefault',
        token: false,
        host: false,
        hostPaths: 0,
      });
      const account = accounts.find((a) => a.metadata.name === spec.serviceAccountName);
      expect([workload, account?.automountServiceAccountToken]).toEqual([workload, false]);
      for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
        const sc = c.securityContext;
        expect({
          workload,
          container: c.name,
          allowPrivilegeEscalation: sc?.allowPrivilegeEscalation,
          readOnlyRootFilesystem: sc?.readOnlyRootFilesystem,
          runAsNonRoot: sc?.runAsNonRoot,
          privileged: sc?.privileged ?? false,
          drop: sc?.capabilities?.drop,
          add: sc?.capabilities?.add ?? [],
        }).toEqual({
          workload,
          container: c.name,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          privileged: false,
          drop: ['ALL'],
          add: [],
        });
        // The one writable place is a small in-memory /tmp (heartbeat, Node's scratch space).
        const tmp = (c.volumeMounts ?? []).find((m) => m.mountPath === '/tmp');
        const volume = (spec.volumes ?? []).find((v) => v.name === tmp?.name);
        expect([workload, volume?.emptyDir?.medium]).toEqual([workload, 'Memory']);
      }
    }
  });

  it('sets requests and limits on every container, and probes on every long-running one', () => {
    for (const workload of Object.keys(WORKLOADS) as Workload[]) {
      for (const c of containersOf(workload)) {
        const r = c.resources;
        expect([
          workload,
          r?.requests?.cpu,
          r?.requests?.memory,
          r?.limits?.cpu,
          r?.limits?.memory,
        ]).toEqual([
          workload,
          expect.anything(),
          expect.anything(),
          expect.anything(),
          expect.anything(),
        ]);
        // The migrate Job runs once and exits (compose's migrate has no health check either);
        // its deadline bounds it instead.
        if (workload === 'migrate') continue;
        expect([workload, Boolean(c.livenessProbe), Boolean(c.readinessProbe)]).toEqual([
          workload,
          true,
          true,
        ]);
      }
    }
    expect(
      (WORKLOADS.migrate.spec as { activeDeadlineSeconds?: number }).activeDeadlineSeconds,
    ).toBeGreaterThan(0);
    // The gateway: liveness on /health (no dependency), readiness on /ready (Postgres, Redis).
    const [gateway] = containersOf('gateway');
    expect(gateway?.livenessProbe?.httpGet?.path).toBe('/health');
    expect(gateway?.readinessProbe?.httpGet?.path).toBe('/ready');
    expect(gateway?.ports?.map((p) => p.containerPort)).toEqual([3000, METRICS_PORT]);
    // Every app serves its metrics on a port of its own, the one the settings name.
    for (const app of APPS) {
      const metrics = containersOf(app)[0]?.ports?.find((p) => p.name === 'metrics');
      expect([app, metrics?.containerPort]).toEqual([app, METRICS_PORT]);
    }
    expect([settings.METRICS_PORT, settings.METRICS_HOST]).toEqual([
      String(METRICS_PORT),
      '0.0.0.0',
    ]);
    // The standalone apps: the image's heartbeat check, as compose runs it.
    for (const app of ['proxy-worker', 'audit'] as const) {
      const [c] = containersOf(app);
      for (const probe of [c?.livenessProbe, c?.readinessProbe]) {
        expect(probe?.exec?.command).toEqual(['node', 'dist/scripts/healthcheck.js', app]);
      }
    }
    // The same commands as compose's services.
    for (const app of APPS) {
      expect(containersOf(app)[0]?.args).toEqual([`dist/apps/${app}/src/main.js`]);
    }
    expect(containersOf('migrate')[0]?.args).toEqual(['dist/scripts/prepare-database.js']);
  });

  it('denies all traffic by default', () => {
    const defaultDeny = policies.find((p) => p.name === 'default-deny');
    expect(defaultDeny?.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
  });

  it('lets gateway, audit and migrate reach only DNS, Postgres and Redis, on private addresses', () => {
    for (const workload of ['gateway', 'audit', 'migrate'] as const) {
      const rules = egressOf(workload);
      expect(rules.length).toBeGreaterThan(0);
      for (const rule of rules) {
        // A rule without peers or ports would allow everything.
        expect([workload, (rule.to ?? []).length > 0, (rule.ports ?? []).length > 0]).toEqual([
          workload,
          true,
          true,
        ]);
        const ports = (rule.ports ?? []).map((p) => p.port);
        for (const peer of rule.to ?? []) {
          if (isDns(peer)) {
            expect([workload, [...new Set(ports)]]).toEqual([workload, [53]]);
            continue;
          }
          const cidr = peer.ipBlock?.cidr ?? 'a selector, not an address block';
          expect([workload, cidr, PRIVATE_IPV4.some((net) => ipv4Within(cidr, net))]).toEqual([
            workload,
            cidr,
            true,
          ]);
          expect([workload, [...ports].sort()]).toEqual([workload, [5432, 6379]]);
        }
      }
    }
  });

  it('lets only proxy-worker reach the internet, and never private or metadata addresses', () => {
    const publicPeers = (workload: Workload) =>
      egressOf(workload)
        .flatMap((rule) => rule.to ?? [])
        .filter((peer) => peer.ipBlock?.cidr === '0.0.0.0/0' || peer.ipBlock?.cidr === '::/0');
    expect((Object.keys(WORKLOADS) as Workload[]).filter((w) => publicPeers(w).length > 0)).toEqual(
      ['proxy-worker'],
    );
    const v4 = publicPeers('proxy-worker').find((p) => p.ipBlock?.cidr === '0.0.0.0/0');
    expect(v4?.ipBlock?.except).toEqual(
      expect.arrayContaining([...PRIVATE_IPV4, '169.254.0.0/16', '127.0.0.0/8', '100.64.0.0/10']),
    );
    const v6 = publicPeers('proxy-worker').find((p) => p.ipBlock?.cidr === '::/0');
    expect(v6?.ipBlock?.except).toEqual(expect.arrayContaining(['fc00::/7', 'fe80::/10']));
    // HTTPS only.
    const internetRules = egressOf('proxy-worker').filter((rule) =>
      (rule.to ?? []).some((peer) => peer.ipBlock?.cidr === '0.0.0.0/0'),
    );
    expect(internetRules.flatMap((r) => r.ports ?? [])).toEqual([{ protocol: 'TCP', port: 443 }]);
  });

  it('lets Prometheus in the monitoring namespace scrape each app on its metrics port only', () => {
    for (const app of APPS) {
      const scrapes = ingressOf(app).filter(isMetricsScrape);
      expect([app, scrapes.length]).toEqual([app, 1]);
    }
    // The metrics port is not the API's: no rule opens it to the ingress controller.
    const fromIngress = ingressOf('gateway').filter((r) => !isMetricsScrape(r));
    expect(fromIngress.flatMap((r) => r.ports ?? []).map((p) => p.port)).not.toContain(
      METRICS_PORT,
    );
  });

  it('lets only the ingress controller reach the gateway, and nothing reach the other apps', () => {
    expect(ingressOf('migrate')).toEqual([]);
    for (const workload of ['proxy-worker', 'audit'] as const) {
      expect([workload, ingressOf(workload).filter((r) => !isMetricsScrape(r))]).toEqual([
        workload,
        [],
      ]);
    }
    const rules = ingressOf('gateway').filter((r) => !isMetricsScrape(r));
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      expect((rule.from ?? []).length).toBeGreaterThan(0);
      for (const peer of rule.from ?? []) {
        expect(peer.ipBlock).toBeUndefined();
        expect(peer.namespaceSelector?.matchLabels).toEqual({
          'kubernetes.io/metadata.name': 'ingress-nginx',
        });
        expect(peer.podSelector?.matchLabels).toEqual({
          'app.kubernetes.io/name': 'ingress-nginx',
        });
      }
      expect(rule.ports).toEqual([{ protocol: 'TCP', port: 3000 }]);
    }
    // The Ingress routes to the gateway's Service, which selects the gateway's pods.
    const service = named('Service', 'gateway');
    expect(
      selects(
        { matchLabels: (service.spec as { selector: Record<string, string> }).selector },
        podOf('gateway').labels,
      ),
    ).toBe(true);
    const ingress = named('Ingress', 'gateway').spec as {
      ingressClassName: string;
      rules: { http: { paths: { path: string; backend: { service: { name: string } } }[] } }[];
    };
    const paths = ingress.rules.flatMap((r) => r.http.paths);
    expect(paths.map((p) => p.path).sort()).toEqual(
      ['/admin/queues', '/api/v1/', '/health', '/ready', '/v1/'].sort(),
    );
    for (const p of paths) expect(p.backend.service.name).toBe('gateway');
    // ingress-nginx's own pods and namespace, which the policy above names.
    expect(ingress.ingressClassName).toBe('nginx');
    expect(
      named('Ingress', 'gateway').metadata as { annotations?: Record<string, string> },
    ).toMatchObject({
      annotations: { 'nginx.ingress.kubernetes.io/proxy-buffering': 'off' },
    });
  });

  it('autoscales the gateway Deployment', () => {
    const hpas = ofKind('HorizontalPodAutoscaler');
    expect(hpas.map((h) => h.metadata.name)).toEqual(['gateway']);
    const spec = hpas[0]?.spec as {
      scaleTargetRef: { apiVersion: string; kind: string; name: string };
      minReplicas: number;
      maxReplicas: number;
      metrics: { resource?: { name: string } }[];
    };
    expect(spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'gateway',
    });
    expect(spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(spec.maxReplicas).toBeGreaterThan(spec.minReplicas);
    expect(spec.metrics.map((m) => m.resource?.name)).toEqual(['cpu']);
    // Only voluntary disruptions are bounded; one gateway always stays.
    const pdb = named('PodDisruptionBudget', 'gateway').spec as {
      minAvailable: number;
      selector: { matchLabels: Record<string, string> };
    };
    expect(pdb.minAvailable).toBe(1);
    expect(selects(pdb.selector, podOf('gateway').labels)).toBe(true);
    expect(podOf('gateway').labels[COMPONENT]).toBe('gateway');
  });
});

describe('the KEDA example in docs/scaling.md', () => {
  const doc = readFileSync(join(ROOT, 'docs/scaling.md'), 'utf8');
  const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].flatMap((m) =>
    parseAllDocuments(m[1] ?? '').map((d) => d.toJS() as K8sObject),
  );
  const scaledObject = blocks.find((o) => o.kind === 'ScaledObject');
  const trigger = (scaledObject?.spec as {
    scaleTargetRef: { name: string };
    triggers: {
      type: string;
      metadata: Record<string, string>;
      authenticationRef?: { name: string };
    }[];
  }) ?? { scaleTargetRef: { name: '' }, triggers: [] };
  const namespace = createRedisNamespace();

  afterAll(async () => {
    await namespace.cleanup();
  });

  it("scales the proxy-worker Deployment on the proxy queue's wait list", () => {
    expect(trigger.scaleTargetRef.name).toBe(WORKLOADS['proxy-worker'].metadata.name);
    const [redis] = trigger.triggers;
    expect(redis?.type).toBe('redis');
    expect(redis?.metadata.listName).toBe(
      `${bullPrefix(settings.REDIS_KEY_PREFIX)}:${QueueName.proxy}:wait`,
    );
    // The password by reference, from the Secret the apps read it from.
    const auth = blocks.find((o) => o.kind === 'TriggerAuthentication');
    expect(redis?.authenticationRef?.name).toBe(auth?.metadata.name);
    expect(JSON.stringify(auth)).toContain('"name":"gatehouse-redis"');
    expect(JSON.stringify(blocks)).not.toMatch(/"password":"[^"]/);
  });

  it('names the key where BullMQ keeps the proxy jobs that wait for a worker', async () => {
    // The same list for this suite's own prefix: a proxy job added as the gateway adds it lands
    // there, and the scaler's LLEN counts it.
    const listName = (trigger.triggers[0]?.metadata.listName ?? '').replace(
      bullPrefix(settings.REDIS_KEY_PREFIX),
      bullPrefix(namespace.prefix),
    );
    const connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    const queue = new Queue(QueueName.proxy, { connection, prefix: bullPrefix(namespace.prefix) });
    try {
      expect(await connection.llen(listName)).toBe(0);
      await queue.add(
        PROXY_JOB_NAME,
        { test: true },
        { ...PROXY_JOB_OPTIONS, jobId: 'keda-probe-1' },
      );
      await queue.add(
        PROXY_JOB_NAME,
        { test: true },
        { ...PROXY_JOB_OPTIONS, jobId: 'keda-probe-2' },
      );
      expect(await connection.llen(listName)).toBe(2);
    } finally {
      await queue.close();
      connection.disconnect();
    }
  });
});
