/**
 * A small `kustomize build` for deploy/kubernetes, so `npm test` can check the manifests where
 * no kustomize binary is installed (CI). It does exactly the features our kustomizations use,
 * and throws on any other field, so a kustomization that grows a feature fails here instead of
 * being built wrong:
 *   resources (files and directories), namespace, labels (pairs, on metadata only), images
 *   (newName/newTag), patches (JSON 6902 operations, with a kind + name target).
 * Transformers run in kustomize's own order: patches, namespace, labels, images. Where kubectl
 * is installed, the test compares this build with `kubectl kustomize`.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';

export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
  // biome-ignore lint/suspicious/noExplicitAny: manifests are free-form until validated
  spec?: any;
  [k: string]: unknown;
};

interface Kustomization {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  resources?: string[];
  labels?: { pairs: Record<string, string>; includeSelectors?: boolean; includeTemplates?: boolean }[];
  images?: { name: string; newName?: string; newTag?: string }[];
  patches?: { target: { kind: string; name: string }; patch: string }[];
}

const KNOWN_FIELDS = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'labels', 'images', 'patches']);
/** Kinds without a namespace (the namespace transformer leaves them alone). */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
]);

/** Builds the kustomization in `dir` (a folder holding kustomization.yaml). */
export function kustomizeBuild(dir: string): K8sObject[] {
  const k = parseYaml(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as Kustomization;
  const unknown = Object.keys(k).filter((key) => !KNOWN_FIELDS.has(key));
  if (unknown.length > 0)
    throw new Error(`${dir}/kustomization.yaml: fields this build does not do: ${unknown.join(', ')}`);

  let objects: K8sObject[] = [];
  for (const entry of k.resources ?? []) {
    const path = join(dir, entry);
    objects.push(...(statSync(path).isDirectory() ? kustomizeBuild(path) : readManifests(path)));
  }
  for (const p of k.patches ?? []) objects = applyPatch(objects, p, dir);
  if (k.namespace)
    for (const o of objects) if (!CLUSTER_SCOPED.has(o.kind)) o.metadata.namespace = k.namespace;
  for (const l of k.labels ?? []) {
    if (l.includeSelectors || l.includeTemplates)
      throw new Error(`${dir}: labels with includeSelectors/includeTemplates are not done here`);
    for (const o of objects) o.metadata.labels = { ...o.metadata.labels, ...l.pairs };
  }
  for (const image of k.images ?? []) for (const o of objects) setImage(o, image);
  return objects;
}

/** Every document of a YAML file (empty ones skipped). */
export function readManifests(path: string): K8sObject[] {
  return parseManifests(readFileSync(path, 'utf8'), path);
}

export function parseManifests(text: string, source = 'input'): K8sObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors[0]?.message}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

function applyPatch(objects: K8sObject[], p: NonNullable<Kustomization['patches']>[number], dir: string) {
  if (!p.target || !p.patch) throw new Error(`${dir}: only inline patches with a target are done here`);
  const ops = parseYaml(p.patch) as { op: string; path: string; value?: unknown }[];
  let matched = 0;
  const out = objects.map((o) => {
    if (o.kind !== p.target.kind || o.metadata.name !== p.target.name) return o;
    matched++;
    return ops.reduce((doc, op) => jsonPatch(doc, op), o);
  });
  if (matched === 0) throw new Error(`${dir}: patch target ${p.target.kind}/${p.target.name} not found`);
  return out;
}

/** One RFC 6902 operation (add, replace, remove) on a copy of `doc`. */
function jsonPatch(doc: K8sObject, op: { op: string; path: string; value?: unknown }): K8sObject {
  const copy = structuredClone(doc);
  const keys = op.path
    .split('/')
    .slice(1)
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
  const last = keys.pop();
  if (last === undefined) throw new Error(`patch path ${op.path} is empty`);
  // biome-ignore lint/suspicious/noExplicitAny: walking an arbitrary document
  let parent: any = copy;
  for (const key of keys) {
    parent = Array.isArray(parent) ? parent[Number(key)] : parent?.[key];
    if (parent === undefined) throw new Error(`patch path ${op.path} does not exist`);
  }
  const isArray = Array.isArray(parent);
  if (op.op === 'remove') {
    if (isArray) parent.splice(Number(last), 1);
    else delete parent[last];
  } else if (op.op === 'replace') {
    if (!(last in parent)) throw new Error(`patch path ${op.path} does not exist (replace)`);
    parent[last] = op.value;
  } else if (op.op === 'add') {
    if (isArray) parent.splice(last === '-' ? parent.length : Number(last), 0, op.value);
    else parent[last] = op.value;
  } else throw new Error(`patch op ${op.op} is not done here`);
  return copy;
}

/** The pod spec of a workload, if it has one. */
// biome-ignore lint/suspicious/noExplicitAny: free-form until validated
export function podSpecOf(o: K8sObject): any | undefined {
  if (o.kind === 'Deployment' || o.kind === 'Job' || o.kind === 'StatefulSet' || o.kind === 'DaemonSet')
    return o.spec?.template?.spec;
  return undefined;
}

function setImage(o: K8sObject, image: { name: string; newName?: string; newTag?: string }): void {
  const pod = podSpecOf(o);
  if (!pod) return;
  for (const c of [...(pod.containers ?? []), ...(pod.initContainers ?? [])]) {
    const m = /^([^:@]+(?::\d+\/[^:@]+)?)(?::([^@]+))?(@.+)?$/.exec(c.image as string);
    if (!m || m[1] !== image.name) continue;
    const name = image.newName ?? m[1];
    const tag = image.newTag !== undefined ? `:${image.newTag}` : m[2] ? `:${m[2]}` : '';
    c.image = `${name}${tag}${image.newTag !== undefined ? '' : (m[3] ?? '')}`;
  }
}
