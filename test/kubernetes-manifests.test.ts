/**
 * deploy/kubernetes without a cluster: each overlay is built (test/helpers/kustomize.ts; and
 * compared with `kubectl kustomize` where kubectl is installed), every object is validated
 * against its Kubernetes, KEDA or Prometheus Operator schema (kubernetes-models), and against
 * our own rules (probes, resources, security context, budgets, network tiers, grace periods).
 * The rules are also run on broken copies, which they must catch.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Job } from 'kubernetes-models/batch/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Service } from 'kubernetes-models/v1';
import { sql } from 'kysely';
import { loadConfig } from '../src/config/config.ts';
import { openTestDatabase, postgresSkip } from '../src/db/test-databases.ts';
import { edgeConfig } from '../src/edge/edge-config.ts';
import { JobQueue } from '../src/queue/queue.ts';
import { type K8sObject, kustomizeBuild, parseManifests, podSpecOf } from './helpers/kustomize.ts';

const ROOT = 'deploy/kubernetes';
const OVERLAYS = ['small', 'scale-out'] as const;

// biome-ignore lint/suspicious/noExplicitAny: each model takes its own shape
type Model = new (data: any) => { validate(): void };
const MODELS: Record<string, Model> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'keda.sh/v1alpha1/TriggerAuthentication': TriggerAuthentication,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};

/** Schema problems of every object (an unknown kind is one too). */
function schemaProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const o of objects) {
    const Model = MODELS[`${o.apiVersion}/${o.kind}`];
    if (!Model) {
      problems.push(`${o.kind}/${o.metadata?.name}: no schema for ${o.apiVersion} ${o.kind}`);
      continue;
    }
    try {
      new Model(o).validate();
    } catch (e) {
      problems.push(`${o.kind}/${o.metadata.name}: ${(e as Error).message}`);
    }
  }
  return problems;
}

/**
 * Containers whose root file system may be writable, and why. Empty: every role writes only to
 * FRAMEHOUSE_DATA_DIR, /tmp and the edge's cache dir, which are emptyDirs.
 */
const WRITABLE_ROOT_EXCEPTIONS = new Map<string, string>();
/**
 * Containers whose readiness probe is not /readyz, and why. The edge has no /readyz of its own
 * (the path passes through to the api) and must stay in service, answering from its cache, while
 * the api is down.
 */
const READINESS_PATH_EXCEPTIONS = new Map<string, string>([['framehouse-edge/edge', '/healthz']]);
/** Seconds between the end of the grace period and SIGKILL, for closing connections and the database. */
const CLOSE_MARGIN_SECONDS = 5;

// biome-ignore lint/suspicious/noExplicitAny: free-form manifests
type Any = any;

const matches = (selector: Record<string, string> | undefined, labels: Record<string, string> = {}) =>
  selector !== undefined && Object.entries(selector).every(([k, v]) => labels[k] === v);

/** A NetworkPolicy's podSelector (matchLabels and matchExpressions In/NotIn/Exists) on some labels. */
function policySelects(policy: K8sObject, labels: Record<string, string>): boolean {
  const sel = policy.spec?.podSelector ?? {};
  if (!matches(sel.matchLabels ?? {}, labels)) return false;
  return (sel.matchExpressions ?? []).every((e: { key: string; operator: string; values?: string[] }) => {
    const v = labels[e.key];
    if (e.operator === 'In') return v !== undefined && (e.values ?? []).includes(v);
    if (e.operator === 'NotIn') return v === undefined || !(e.values ?? []).includes(v);
    if (e.operator === 'Exists') return v !== undefined;
    if (e.operator === 'DoesNotExist') return v === undefined;
    return false;
  });
}

const isDefaultDeny = (p: K8sObject) =>
  Object.keys(p.spec?.podSelector ?? {}).length === 0 &&
  ['Ingress', 'Egress'].every((t) => (p.spec?.policyTypes ?? []).includes(t)) &&
  !p.spec?.ingress?.length &&
  !p.spec?.egress?.length;

/** Our own rules over one built overlay; each problem names the object and what is wrong. */
export function ruleProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const of = (kind: string) => objects.filter((o) => o.kind === kind);
  const workloads = objects.filter((o) => podSpecOf(o));
  const policies = of('NetworkPolicy');
  const images = new Set<string>();

  if (!policies.some(isDefaultDeny)) problems.push('no default-deny NetworkPolicy (Ingress and Egress)');

  for (const w of workloads) {
    const name = `${w.kind}/${w.metadata.name}`;
    const pod: Any = podSpecOf(w);
    const labels: Record<string, string> = w.spec.template.metadata?.labels ?? {};
    const psc = pod.securityContext ?? {};
    if (psc.runAsNonRoot !== true) problems.push(`${name}: pod runAsNonRoot is not true`);
    if (psc.runAsUser !== 1000 || psc.fsGroup !== 1000)
      problems.push(`${name}: pod runAsUser/fsGroup are not 1000 (the image's node user)`);
    if (psc.seccompProfile?.type !== 'RuntimeDefault')
      problems.push(`${name}: seccompProfile is not RuntimeDefault`);
    // Service links put <SERVICE>_PORT=tcp://… into the environment: framehouse-rtmp would set
    // FRAMEHOUSE_RTMP_PORT, a setting of ours, and fail the configuration check at start-up.
    if (pod.enableServiceLinks !== false) problems.push(`${name}: enableServiceLinks is not false`);
    if (pod.automountServiceAccountToken !== false)
      problems.push(`${name}: automountServiceAccountToken is not false (no role uses the Kubernetes API)`);
    if (!['public', 'private'].includes(labels['framehouse.dev/tier'] ?? ''))
      problems.push(`${name}: pod has no framehouse.dev/tier label (public or private)`);
    // Policies for every pod (the default deny, DNS) do not count: some policy must name this role.
    const named = (p: K8sObject) => Object.keys(p.spec?.podSelector ?? {}).length > 0;
    if (!policies.some((p) => named(p) && policySelects(p, labels)))
      problems.push(`${name}: no NetworkPolicy of its own selects its pods (only namespace-wide ones)`);
    const volumes = new Set((pod.volumes ?? []).map((v: Any) => v.name));
    const graceSeconds = pod.terminationGracePeriodSeconds ?? 30;

    for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
      const cname = `${name}/${c.name}`;
      const key = `${w.metadata.name}/${c.name}`;
      images.add(c.image);
      const sc = c.securityContext ?? {};
      if (sc.allowPrivilegeEscalation !== false)
        problems.push(`${cname}: allowPrivilegeEscalation is not false`);
      if (!(sc.capabilities?.drop ?? []).includes('ALL'))
        problems.push(`${cname}: capabilities do not drop ALL`);
      if (sc.readOnlyRootFilesystem !== true && !WRITABLE_ROOT_EXCEPTIONS.has(key))
        problems.push(`${cname}: readOnlyRootFilesystem is not true`);
      for (const kind of ['requests', 'limits'])
        for (const r of ['cpu', 'memory'])
          if (c.resources?.[kind]?.[r] === undefined) problems.push(`${cname}: no ${r} ${kind}`);
      for (const m of c.volumeMounts ?? [])
        if (!volumes.has(m.name)) problems.push(`${cname}: mounts ${m.name}, which is no volume of the pod`);

      // Long-running roles only: a Job's container runs to completion and has no HTTP port.
      if (w.kind === 'Deployment') {
        const ports = new Set((c.ports ?? []).map((p: Any) => p.name));
        const probe = (which: string, path: string) => {
          const p = c[which]?.httpGet;
          if (!p) return problems.push(`${cname}: no ${which} (httpGet)`);
          if (p.path !== path) problems.push(`${cname}: ${which} is on ${p.path}, not ${path}`);
          if (!ports.has(p.port)) problems.push(`${cname}: ${which} port ${p.port} is no named port`);
        };
        probe('livenessProbe', '/healthz');
        probe('readinessProbe', READINESS_PATH_EXCEPTIONS.get(key) ?? '/readyz');
        // Grace: a preStop sleep (the load balancers stop sending) + the app's own drain + a margin.
        const sleep = c.lifecycle?.preStop?.exec?.command;
        const sleepSeconds = sleep?.[0] === 'sleep' ? Number(sleep[1]) : 0;
        if (ports.has('http') && sleepSeconds === 0)
          problems.push(
            `${cname}: serves HTTP but has no preStop sleep (traffic still arrives after SIGTERM)`,
          );
        const graceMs = (c.env ?? []).find((e: Any) => e.name === 'FRAMEHOUSE_SHUTDOWN_GRACE_MS')?.value;
        const needed = sleepSeconds + Math.ceil(Number(graceMs ?? 0) / 1000) + CLOSE_MARGIN_SECONDS;
        if (graceSeconds < needed)
          problems.push(
            `${cname}: terminationGracePeriodSeconds ${graceSeconds} < preStop ${sleepSeconds} s + FRAMEHOUSE_SHUTDOWN_GRACE_MS ${graceMs ?? 0} ms + ${CLOSE_MARGIN_SECONDS} s`,
          );
      }
    }

    if (
      w.kind === 'Deployment' &&
      !of('PodDisruptionBudget').some((b) => matches(b.spec?.selector?.matchLabels, labels))
    )
      problems.push(`${name}: no PodDisruptionBudget selects its pods`);
  }

  if (images.size !== 1) problems.push(`containers use different images: ${[...images].join(', ')}`);
  for (const image of images)
    if (!/[/:]/.test(image))
      problems.push(`image ${image} is the bare placeholder (no images: entry applied)`);

  const templates = workloads.map((w) => w.spec.template.metadata?.labels ?? {});
  for (const s of of('Service'))
    if (!templates.some((l) => matches(s.spec?.selector, l)))
      problems.push(`Service/${s.metadata.name}: its selector matches no pod`);
  const deployments = new Set(of('Deployment').map((d) => d.metadata.name));
  for (const h of of('HorizontalPodAutoscaler'))
    if (!deployments.has(h.spec?.scaleTargetRef?.name))
      problems.push(`HorizontalPodAutoscaler/${h.metadata.name}: target is no Deployment here`);
  for (const so of of('ScaledObject'))
    if (!deployments.has(so.spec?.scaleTargetRef?.name))
      problems.push(`ScaledObject/${so.metadata.name}: target is no Deployment here`);
  // An autoscaled Deployment leaves its count to the scaler: `replicas` would reset it at every apply.
  for (const a of [...of('HorizontalPodAutoscaler'), ...of('ScaledObject')]) {
    const target = of('Deployment').find((d) => d.metadata.name === a.spec?.scaleTargetRef?.name);
    if (target?.spec?.replicas !== undefined)
      problems.push(
        `Deployment/${target.metadata.name}: sets replicas, but ${a.kind}/${a.metadata.name} owns the count`,
      );
  }
  for (const sm of of('ServiceMonitor')) {
    const ports = new Set((sm.spec?.endpoints ?? []).map((e: Any) => e.port));
    const scraped = of('Service').filter((s) => matches(sm.spec?.selector?.matchLabels, s.metadata.labels));
    if (scraped.length === 0) problems.push(`ServiceMonitor/${sm.metadata.name}: selects no Service`);
    for (const s of scraped)
      if (!(s.spec?.ports ?? []).some((p: Any) => ports.has(p.name)))
        problems.push(
          `Service/${s.metadata.name}: scraped, but has no port named ${[...ports].join(' or ')}`,
        );
  }
  return problems;
}

const built = Object.fromEntries(OVERLAYS.map((o) => [o, kustomizeBuild(`${ROOT}/overlays/${o}`)])) as Record<
  (typeof OVERLAYS)[number],
  K8sObject[]
>;

const sortKey = (o: K8sObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const sorted = (objects: K8sObject[]) => [...objects].sort((a, b) => sortKey(a).localeCompare(sortKey(b)));

describe('deploy/kubernetes', () => {
  for (const overlay of OVERLAYS) {
    test(`overlay ${overlay}: every object validates against its schema`, () => {
      assert.ok(built[overlay].length > 10);
      assert.deepEqual(schemaProblems(built[overlay]), []);
    });

    test(`overlay ${overlay}: our own rules hold`, () => {
      assert.deepEqual(ruleProblems(built[overlay]), []);
    });

    test(`overlay ${overlay}: this build is what kubectl kustomize builds`, (t) => {
      const r = spawnSync('kubectl', ['kustomize', `${ROOT}/overlays/${overlay}`], { encoding: 'utf8' });
      if (r.error) {
        t.skip('kubectl is not installed here: the build was not compared with kustomize');
        return;
      }
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(sorted(parseManifests(r.stdout, 'kubectl kustomize')), sorted(built[overlay]));
    });
  }

  test("every container's settings pass the configuration check they meet at start-up", () => {
    // What the operator's Secret holds (docs/deploy.md), with stand-in values.
    const secret = {
      DATABASE_URL: 'postgres://framehouse:pw@db.internal:5432/framehouse',
      STORAGE_URL: 's3://media/framehouse?endpoint=https%3A%2F%2Fs3.internal',
      AWS_ACCESS_KEY_ID: 'key',
      AWS_SECRET_ACCESS_KEY: 'secret',
      FRAMEHOUSE_METRICS_TOKEN: 'metrics-token-0123456789',
    };
    for (const overlay of OVERLAYS) {
      const objects = built[overlay];
      const configMap = (name: string) =>
        objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name)?.data;
      for (const w of objects.filter((o) => podSpecOf(o))) {
        for (const c of podSpecOf(w).containers) {
          const env: Record<string, string> = {};
          for (const from of c.envFrom ?? []) {
            if (from.configMapRef) Object.assign(env, configMap(from.configMapRef.name));
            if (from.secretRef) Object.assign(env, secret);
          }
          for (const e of c.env ?? []) {
            if (e.valueFrom?.fieldRef?.fieldPath === 'status.podIP') env[e.name] = '10.1.2.3';
            else if (e.value !== undefined)
              env[e.name] = String(e.value).replace(/\$\((\w+)\)/g, (_: string, v: string) => env[v] ?? '');
          }
          const where = `${overlay}: ${w.metadata.name}/${c.name}`;
          if (c.args[0] === 'edge') {
            const flags: Record<string, unknown> = { origin: [] };
            for (let i = 1; i < c.args.length; i++) {
              const name = c.args[i]
                .replace(/^--/, '')
                .replace(/-(\w)/g, (_: string, l: string) => l.toUpperCase());
              if (name === 'trustForwarded') flags.trustForwarded = true;
              else if (name === 'origin') (flags.origin as string[]).push(c.args[++i]);
              else flags[name] = c.args[++i];
            }
            assert.deepEqual(edgeConfig(env, flags).problems, [], where);
          } else {
            const config = loadConfig(env);
            assert.equal(config.databaseUrl, secret.DATABASE_URL, where);
            if (c.args[0] === 'live') assert.equal(config.liveInternalUrl, 'http://10.1.2.3:8080', where);
            if (c.args[0] === 'worker') assert.equal(config.metricsPort, 9464, where);
          }
        }
      }
    }
  });

  test('the roles of each overlay', () => {
    const deployments = (o: K8sObject[]) =>
      o
        .filter((x) => x.kind === 'Deployment')
        .map((d) => d.spec.template.spec.containers[0].args[0])
        .sort();
    assert.deepEqual(deployments(built.small), ['serve']);
    assert.deepEqual(deployments(built['scale-out']), ['api', 'edge', 'live', 'worker']);
    for (const overlay of OVERLAYS) {
      const job = built[overlay].find((o) => o.kind === 'Job');
      assert.deepEqual(job?.spec.template.spec.containers[0].args, ['migrate']);
      assert.ok(built[overlay].every((o) => o.kind === 'Namespace' || o.metadata.namespace === 'framehouse'));
      assert.ok(
        built[overlay].every((o) => o.metadata.labels?.['app.kubernetes.io/part-of'] === 'framehouse'),
      );
    }
    const kinds = new Set(built['scale-out'].map((o) => o.kind));
    for (const kind of ['HorizontalPodAutoscaler', 'ScaledObject', 'ServiceMonitor', 'PodDisruptionBudget'])
      assert.ok(kinds.has(kind), kind);
    // The overlay's patch narrowed the RTMP policy to the live pods.
    const rtmp = built['scale-out'].find((o) => o.metadata.name === 'framehouse-rtmp-ingest');
    assert.deepEqual(rtmp?.spec.podSelector, { matchLabels: { 'app.kubernetes.io/component': 'live' } });
  });

  describe('broken copies are caught', () => {
    const base = built['scale-out'];
    const broken = (change: (objects: K8sObject[]) => void) => {
      const copy = structuredClone(base);
      change(copy);
      return copy;
    };
    const deployment = (objects: K8sObject[], name: string): Any =>
      objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name);
    const container = (objects: K8sObject[], name: string): Any =>
      deployment(objects, name).spec.template.spec.containers[0];
    const caught = (objects: K8sObject[], pattern: RegExp) => {
      const problems = ruleProblems(objects);
      assert.ok(
        problems.some((p) => pattern.test(p)),
        `expected a problem matching ${pattern}, got ${JSON.stringify(problems)}`,
      );
    };

    test('a container without limits', () => {
      caught(
        broken((o) => delete container(o, 'framehouse-api').resources.limits),
        /framehouse-api\/api: no cpu limits/,
      );
    });
    test('a container without a readiness probe, or with it on the wrong path', () => {
      caught(
        broken((o) => delete container(o, 'framehouse-worker').readinessProbe),
        /worker: no readinessProbe/,
      );
      caught(
        broken((o) => {
          container(o, 'framehouse-live').readinessProbe.httpGet.path = '/healthz';
        }),
        /live: readinessProbe is on \/healthz, not \/readyz/,
      );
    });
    test('a writable root file system, root, privilege escalation', () => {
      caught(
        broken((o) => {
          container(o, 'framehouse-api').securityContext.readOnlyRootFilesystem = false;
        }),
        /api: readOnlyRootFilesystem is not true/,
      );
      caught(
        broken((o) => {
          deployment(o, 'framehouse-edge').spec.template.spec.securityContext.runAsNonRoot = false;
        }),
        /framehouse-edge: pod runAsNonRoot/,
      );
      caught(
        broken((o) => {
          container(o, 'framehouse-live').securityContext.allowPrivilegeEscalation = true;
        }),
        /live: allowPrivilegeEscalation/,
      );
    });
    test('Service links left on (they would set FRAMEHOUSE_RTMP_PORT=tcp://…)', () => {
      caught(
        broken((o) => delete deployment(o, 'framehouse-live').spec.template.spec.enableServiceLinks),
        /framehouse-live: enableServiceLinks is not false/,
      );
    });
    test('an autoscaled Deployment that sets replicas', () => {
      caught(
        broken((o) => {
          deployment(o, 'framehouse-worker').spec.replicas = 3;
        }),
        /framehouse-worker: sets replicas, but ScaledObject\/framehouse-worker owns the count/,
      );
    });
    test('a Deployment without a disruption budget', () => {
      caught(
        broken((o) => {
          o.splice(
            o.findIndex((x) => x.kind === 'PodDisruptionBudget' && x.metadata.name === 'framehouse-live'),
            1,
          );
        }),
        /Deployment\/framehouse-live: no PodDisruptionBudget/,
      );
    });
    test('no default deny, or a pod no policy selects', () => {
      caught(
        broken((o) => {
          o.splice(
            o.findIndex((x) => x.metadata.name === 'framehouse-default-deny'),
            1,
          );
        }),
        /no default-deny/,
      );
      caught(
        broken((o) => {
          const labels = deployment(o, 'framehouse-worker').spec.template.metadata.labels;
          labels['app.kubernetes.io/component'] = 'renamed';
          labels['framehouse.dev/tier'] = 'private';
        }),
        /framehouse-worker: no NetworkPolicy of its own selects its pods/,
      );
    });
    test('a grace period shorter than the drain', () => {
      caught(
        broken((o) => {
          deployment(o, 'framehouse-worker').spec.template.spec.terminationGracePeriodSeconds = 60;
        }),
        /worker: terminationGracePeriodSeconds 60 < preStop 0 s \+ FRAMEHOUSE_SHUTDOWN_GRACE_MS 110000 ms/,
      );
      caught(
        broken((o) => delete container(o, 'framehouse-api').lifecycle),
        /api: serves HTTP but has no preStop/,
      );
    });
    test('images that differ, or the placeholder left', () => {
      caught(
        broken((o) => {
          container(o, 'framehouse-edge').image = 'registry.example.com/framehouse:0.0.9';
        }),
        /containers use different images/,
      );
      caught(
        broken((o) => {
          for (const w of o) for (const c of podSpecOf(w)?.containers ?? []) c.image = 'framehouse';
        }),
        /bare placeholder/,
      );
    });
    test('a schema violation: a quantity that is not one, a Deployment without a selector', () => {
      const bad = broken((o) => {
        container(o, 'framehouse-api').resources.limits.memory = 'lots';
        delete deployment(o, 'framehouse-edge').spec.selector;
      });
      const problems = schemaProblems(bad);
      assert.ok(
        problems.some((p) => /framehouse-api.*memory/.test(p)),
        JSON.stringify(problems),
      );
      assert.ok(
        problems.some((p) => /framehouse-edge.*selector/.test(p)),
        JSON.stringify(problems),
      );
      assert.deepEqual(schemaProblems([{ apiVersion: 'x/v1', kind: 'Nope', metadata: { name: 'n' } }]), [
        'Nope/n: no schema for x/v1 Nope',
      ]);
    });
  });

  test('the KEDA trigger counts what the workers have to do, on the real queue table', {
    skip: postgresSkip('postgres'),
  }, async () => {
    const scaled = built['scale-out'].find((o) => o.kind === 'ScaledObject');
    const trigger = scaled?.spec.triggers.find((t: Any) => t.type === 'postgresql');
    assert.ok(trigger, 'a postgresql trigger');
    const tdb = await openTestDatabase('postgres');
    try {
      const queue = new JobQueue({ db: tdb.db });
      const kedaCount = async () =>
        Number((await sql.raw<{ count: string }>(trigger.metadata.query).execute(tdb.db)).rows[0]?.count);
      assert.equal(await kedaCount(), 0);
      // One dead job and one completed job: neither is work.
      await queue.enqueue(tdb.db, 'transcode', {}, { maxAttempts: 1 });
      const [dead] = await queue.claim(['transcode'], 1, 'w1', 60_000);
      assert.ok(dead);
      await queue.fail(dead.id, 'w1', { message: 'bad input', retryable: false });
      await queue.enqueue(tdb.db, 'probe', {});
      const [done] = await queue.claim(['probe'], 1, 'w1', 60_000);
      assert.ok(done);
      await queue.complete(done.id, 'w1');
      assert.equal(await kedaCount(), 0);
      // Three due, one delayed an hour (backing off: not work yet), then one of the three running.
      for (let i = 0; i < 3; i++) await queue.enqueue(tdb.db, 'transcode', { i });
      await queue.enqueue(tdb.db, 'webhook.deliver', {}, { delayMs: 3_600_000 });
      const [running] = await queue.claim(['transcode'], 1, 'w2', 60_000);
      assert.ok(running);
      assert.equal(await kedaCount(), 3);
      // The same number the queue's own statistics (and framehouse_queue_depth) give.
      const stats = Object.values(await queue.stats());
      assert.equal(
        stats.reduce((sum, s) => sum + s.queued + s.running, 0),
        3,
      );
    } finally {
      await tdb.close();
    }
  });

  test('the small kustomize build: images, patches, and a refusal of what it does not do', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fh-kustomize-'));
    try {
      await writeFile(
        join(dir, 'app.yaml'),
        'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: app }\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n        - { name: a, image: "framehouse:old" }\n        - { name: b, image: other }\n',
      );
      const write = (k: string) => writeFile(join(dir, 'kustomization.yaml'), `resources: [app.yaml]\n${k}`);
      await write(
        'namespace: ns\nimages: [{ name: framehouse, newName: reg.example/fh, newTag: "1.2" }]\npatches:\n  - target: { kind: Deployment, name: app }\n    patch: "[{op: replace, path: /spec/replicas, value: 3}]"\n',
      );
      const [app] = kustomizeBuild(dir);
      assert.equal(app?.metadata.namespace, 'ns');
      assert.equal(app?.spec.replicas, 3);
      assert.deepEqual(
        app?.spec.template.spec.containers.map((c: Any) => c.image),
        ['reg.example/fh:1.2', 'other'],
      );
      // A feature it does not build must fail loudly, never be skipped.
      await write('commonLabels: { a: b }\n');
      assert.throws(() => kustomizeBuild(dir), /fields this build does not do: commonLabels/);
      await write('patches:\n  - target: { kind: Deployment, name: nope }\n    patch: "[]"\n');
      assert.throws(() => kustomizeBuild(dir), /patch target Deployment\/nope not found/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
