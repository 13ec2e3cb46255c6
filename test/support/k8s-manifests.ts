import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Job } from 'kubernetes-models/batch/v1';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Service, ServiceAccount } from 'kubernetes-models/v1';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import type { INetworkPolicySpec } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicySpec';
import { parseAllDocuments } from 'yaml';

export const K8S_DIR = resolve(import.meta.dirname, '../../deploy/k8s');

export type LabelSelector = NonNullable<INetworkPolicySpec['podSelector']>;

/** What a manifest object has in common; the rest is checked by its schema. */
export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
};

export type Manifest = { file: string; object: K8sObject };

/**
 * The Kubernetes schemas (kubernetes-models, offline) of every kind the base may use. A kind not
 * listed here fails the test rather than going unchecked.
 */
const MODELS: Record<string, { new (data: never): { validate(): void } }> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'networking.k8s.io/v1/Ingress': Ingress,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

/** Validates one object against its kind's schema; throws naming the file and what is wrong. */
export function validateObject({ file, object }: Manifest): void {
  const model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!model) throw new Error(`${file}: no schema for ${object.apiVersion} ${object.kind}`);
  try {
    new model(object as never).validate();
  } catch (err) {
    throw new Error(`${file} ${object.kind}/${object.metadata.name}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** The YAML files of deploy/k8s, the kustomization apart. */
export function manifestFiles(): string[] {
  return readdirSync(K8S_DIR)
    .filter((name) => /\.ya?ml$/.test(name) && name !== 'kustomization.yaml')
    .sort();
}

export function readYamlDocuments(path: string): unknown[] {
  return parseAllDocuments(readFileSync(path, 'utf8')).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors[0]?.message}`);
    return doc.toJS() as unknown;
  });
}

export function loadManifests(): Manifest[] {
  return manifestFiles().flatMap((file) =>
    readYamlDocuments(join(K8S_DIR, file))
      .filter((object) => object !== null)
      .map((object) => ({ file, object: object as K8sObject })),
  );
}

/** The pod template of a workload (Deployment or Job), or undefined for any other kind. */
export function podTemplateOf(object: K8sObject): IPodTemplateSpec | undefined {
  if (object.kind !== 'Deployment' && object.kind !== 'Job') return undefined;
  return (object.spec as { template: IPodTemplateSpec }).template;
}

/** Whether a label selector (matchLabels and matchExpressions) selects these labels. */
export function selects(selector: LabelSelector, labels: Record<string, string>): boolean {
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = (selector.matchExpressions ?? []).every((e) => {
    const value = labels[e.key];
    switch (e.operator) {
      case 'In':
        return value !== undefined && (e.values ?? []).includes(value);
      case 'NotIn':
        return value === undefined || !(e.values ?? []).includes(value);
      case 'Exists':
        return value !== undefined;
      case 'DoesNotExist':
        return value === undefined;
      default:
        throw new Error(`unknown selector operator ${e.operator}`);
    }
  });
  return byLabels && byExpressions;
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

/** Whether IPv4 network `inner` lies inside IPv4 network `outer` (both `a.b.c.d/n`). */
export function ipv4Within(inner: string, outer: string): boolean {
  const [innerBase = '', innerBits = '32'] = inner.split('/');
  const [outerBase = '', outerBits = '32'] = outer.split('/');
  if (Number(innerBits) < Number(outerBits)) return false;
  const size = 2 ** (32 - Number(outerBits));
  const start = ipv4ToInt(outerBase) - (ipv4ToInt(outerBase) % size);
  const at = ipv4ToInt(innerBase);
  return at >= start && at < start + size;
}

/** RFC 1918: the only networks where a private data store may live. */
export const PRIVATE_IPV4 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];
