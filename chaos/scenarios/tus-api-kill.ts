/**
 * `tus-api-kill` (docs/reliability.md): 20 concurrent tus uploads (tus-js-client, small chunks) of
 * 20 distinct real clips; the api SIGKILLed part-way (embedded: the serve; scale-out: the clients
 * are spread over both apis and each api is killed in turn), restarted; the clients resume from
 * their upload URLs. Then: every upload finished and became exactly one asset, each stored source
 * is byte for byte the file sent, nothing counted twice in usage, no staging or scratch left.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeClip } from '../../test/fixtures/media.ts';
import type { Cluster, Proc } from '../cluster.ts';
import { type Check, check, type Scenario } from '../scenario.ts';
import { type TusRun, tusUpload } from '../tus-clients.ts';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const MB = 1024 * 1024;

interface AssetView {
  id: string;
  status: string;
  duration: number | null;
  source?: { size: number; sha256: string | null };
  renditions: { name: string; status: string }[];
}

export const tusApiKill: Scenario = {
  id: 'tus-api-kill',
  title: '20 concurrent tus uploads; the api SIGKILLed mid-way, restarted; the clients resume',
  topologies: ['embedded', 'scale-out'],
  async run(ctx) {
    const n = ctx.quick ? 5 : 20;
    const started = Date.now();
    // 20 distinct clips: sizes and lengths vary, grain makes them a few MB (a camera's bitrate).
    ctx.log(`making ${n} clips`);
    const clips: { name: string; bytes: Buffer; sha: string }[] = [];
    for (let i = 0; i < n; i++) {
      const name = `clip-${String(i + 1).padStart(2, '0')}`;
      const file = await makeClip(ctx.tmp, {
        name,
        width: 320 + 32 * (i % 6),
        height: 240 + 16 * (i % 4),
        seconds: 2 + (i % 3),
        grain: 30 + (i % 5) * 5,
        fps: 24 + (i % 2),
      });
      const bytes = await readFile(file);
      clips.push({ name, bytes, sha: sha256(bytes) });
    }
    const total = clips.reduce((s, c) => s + c.bytes.length, 0);
    ctx.log(`${n} clips, ${(total / MB).toFixed(1)} MB`);

    const cluster = await ctx.startCluster({
      env: { FRAMEHOUSE_USAGE_FLUSH_SECONDS: '2', FRAMEHOUSE_USAGE_STORAGE_SAMPLE_MINUTES: '1' },
    });
    const checks: Check[] = [];
    const scratchBefore = await cluster.scratchBytes();

    // The kill plan: embedded kills the serve twice; scale-out kills api-1, then api-2.
    const targets: Proc[] =
      cluster.topology === 'embedded'
        ? [cluster.apis[0] as Proc, cluster.apis[0] as Proc]
        : cluster.apis.slice(0, 2);
    const thresholds = [0.35, 0.6];
    const killTimes: number[] = [];
    const killOffsets: number[] = [];
    let killing: Promise<void> = Promise.resolve();
    let nextKill = 0;

    const runs: TusRun[] = clips.map((c) => ({
      name: c.name,
      size: c.bytes.length,
      accepted: 0,
      retries: 0,
      resumedFrom: [],
      sent: 0,
      url: null,
      error: null,
      done: false,
    }));
    const acceptedTotal = () => runs.reduce((s, r) => s + r.accepted, 0);
    const onChunk = () => {
      const fraction = acceptedTotal() / total;
      ctx.progress(Math.round(fraction * 100), 100);
      if (nextKill < targets.length && fraction >= (thresholds[nextKill] as number)) {
        const target = targets[nextKill] as Proc;
        nextKill++;
        killOffsets.push(fraction);
        killing = killing.then(async () => {
          const t0 = Date.now();
          await target.kill('SIGKILL');
          ctx.log(`SIGKILLed ${target.name} at ${(fraction * 100).toFixed(0)} % of the bytes`);
          await target.restart();
          killTimes.push(Date.now() - t0);
        });
      }
    };

    const uploadStarted = Date.now();
    await Promise.all(
      runs.map((run, i) =>
        tusUpload(
          run,
          (clips[i] as { bytes: Buffer }).bytes,
          `${cluster.urls[i % cluster.urls.length]}/v1/uploads`,
          cluster.apiKey,
          // Small chunks: each PATCH a request, so the uploads are under way when the api dies.
          64 * 1024,
          onChunk,
        ),
      ),
    );
    await killing;
    const uploadMs = Date.now() - uploadStarted;

    checks.push(
      check(
        `the api was SIGKILLed ${targets.length} times part-way through the uploads`,
        killOffsets.length === targets.length && killOffsets.every((f) => f > 0 && f < 1),
        `killed at ${killOffsets.map((f) => `${(f * 100).toFixed(0)} %`).join(', ') || 'never'} of the bytes`,
      ),
    );
    const finished = runs.filter((r) => r.done);
    checks.push(
      check(
        `${n} of ${n} uploads finish`,
        finished.length === n,
        `${finished.length} finished${
          runs.some((r) => r.error)
            ? `; ${runs
                .filter((r) => r.error)
                .map((r) => `${r.name}: ${r.error}`)
                .slice(0, 3)
                .join('; ')}`
            : ''
        }`,
      ),
    );
    const resumed = runs.filter((r) => r.resumedFrom.some((o) => o > 0));
    const retried = runs.filter((r) => r.retries > 0);
    checks.push(
      check(
        'uploads cut by a kill resume from their offset (not from 0)',
        retried.length > 0 && resumed.length > 0,
        `${retried.length} retried, ${resumed.length} resumed from a byte offset > 0`,
      ),
    );

    // Each upload: its row, its asset, its stored source.
    const uploadIds = runs.map((r) => r.url?.split('/').pop() ?? '');
    const rows = await cluster.query<{ id: string; asset_id: string | null; length: number | null }>(
      'select id, asset_id, length from uploads',
    );
    const assets = await cluster.query<{ id: string }>('select id from assets');
    const rowFor = new Map(rows.map((r) => [r.id, r]));
    const assetIds = uploadIds.map((id) => rowFor.get(id)?.asset_id ?? null);
    const distinctAssets = new Set(assetIds.filter((a): a is string => a !== null));
    checks.push(
      check(
        'each upload is one upload row and one asset; no extra rows or assets',
        rows.length === n && assets.length === n && distinctAssets.size === n,
        `${rows.length} upload rows, ${assets.length} assets, ${distinctAssets.size} distinct assets for ${n} uploads`,
      ),
    );

    // Wait for the pipeline, so usage (encoding seconds per rendition) can be read.
    const views = new Map<string, AssetView>();
    const deadline = Date.now() + (ctx.quick ? 300_000 : 900_000);
    while (Date.now() < deadline) {
      for (const id of distinctAssets) {
        if (['ready', 'errored'].includes(views.get(id)?.status ?? '')) continue;
        const res = await cluster.api(`/v1/assets/${id}`).catch(() => null);
        if (res?.ok) views.set(id, ((await res.json()) as { data: AssetView }).data);
      }
      ctx.progress([...views.values()].filter((v) => ['ready', 'errored'].includes(v.status)).length, n);
      if ([...distinctAssets].every((id) => ['ready', 'errored'].includes(views.get(id)?.status ?? '')))
        break;
      await sleep(2000);
    }
    const ready = [...views.values()].filter((v) => v.status === 'ready');
    checks.push(
      check(
        `${n} of ${n} assets ready`,
        ready.length === n,
        `${ready.length} ready; ${[...views.values()]
          .filter((v) => v.status !== 'ready')
          .map((v) => `${v.id}: ${v.status}`)
          .slice(0, 3)
          .join(', ')}`,
      ),
    );

    const badSources: string[] = [];
    for (let i = 0; i < n; i++) {
      const assetId = assetIds[i];
      const clip = clips[i] as { name: string; sha: string; bytes: Buffer };
      if (!assetId) {
        badSources.push(`${clip.name}: no asset`);
        continue;
      }
      const stored = await cluster.readObject(`sources/${assetId}/original`).catch(() => null);
      if (!stored) badSources.push(`${clip.name}: no source object`);
      else if (sha256(stored) !== clip.sha)
        badSources.push(`${clip.name}: stored ${stored.length} B, sha ${sha256(stored).slice(0, 12)}…`);
      const reported = views.get(assetId)?.source?.sha256;
      if (reported && reported !== clip.sha)
        badSources.push(`${clip.name}: the API reports sha ${reported.slice(0, 12)}…`);
    }
    checks.push(
      check(
        'SHA-256 of each stored source (and the one the API reports) is the file sent',
        badSources.length === 0,
        badSources.length ? badSources.slice(0, 4).join('; ') : `${n} sources compared byte for byte`,
      ),
    );

    checks.push(await usageCountedOnce(cluster, clips, assetIds, views, ctx.quick));
    checks.push(await stagingCleared(cluster, uploadIds));
    // Workers' scratch goes back once their jobs end (a job killed with its process leaves none here).
    let scratch = await cluster.scratchBytes();
    for (let i = 0; i < 15 && scratch > scratchBefore; i++) {
      await sleep(1000);
      scratch = await cluster.scratchBytes();
    }
    checks.push(
      check(
        'scratch space back to where it was',
        scratch <= scratchBefore,
        `${scratchBefore} B before, ${scratch} B after`,
      ),
    );

    const sent = runs.reduce((s, r) => s + r.sent, 0);
    return {
      runs: killOffsets.length,
      checks,
      figures: {
        kills: String(killOffsets.length),
        'resumed uploads': `${resumed.length} of ${n}`,
        'MB sent': `${(sent / MB).toFixed(1)} MB for ${(total / MB).toFixed(1)} MB of files`,
        'upload time': `${(uploadMs / 1000).toFixed(1)} s`,
        'api restart': killTimes.length ? `${(Math.max(...killTimes) / 1000).toFixed(1)} s max` : 'n/a',
        time: `${((Date.now() - started) / 1000).toFixed(0)} s`,
      },
    };
  },
};

/**
 * What an upload adds to usage (docs/usage.md): its asset's source bytes in the storage walk
 * (`usage_storage`, category `source`) — or, while unfinished, its declared length reserved by its
 * upload row — and its renditions' encoding seconds. Counted once: no upload row without an asset
 * left reserving bytes, the walk's source level is the file's size, encoding seconds are the
 * duration once per ready rendition, and nothing is metered for an asset that is not ours.
 */
async function usageCountedOnce(
  cluster: Cluster,
  clips: { name: string; bytes: Buffer }[],
  assetIds: (string | null)[],
  views: Map<string, AssetView>,
  quick: boolean,
): Promise<Check> {
  const ours = new Set(assetIds.filter((a): a is string => a !== null));
  const wrong: string[] = [];
  const reserved = await cluster.query<{ id: string }>('select id from uploads where asset_id is null');
  for (const r of reserved) wrong.push(`upload ${r.id} still reserves its bytes (no asset)`);
  // The storage walk runs every minute here: wait for one that saw every source.
  type StorageRow = { asset_id: string; bytes: number | string };
  let storage: StorageRow[] = [];
  const until = Date.now() + (quick ? 130_000 : 130_000);
  while (Date.now() < until) {
    storage = await cluster.query<StorageRow>(
      "select asset_id, bytes from usage_storage where category = 'source'",
    );
    if ([...ours].every((id) => storage.some((s) => s.asset_id === id))) break;
    await sleep(3000);
  }
  const sizeOf = new Map(assetIds.map((id, i) => [id, (clips[i] as { bytes: Buffer }).bytes.length]));
  const seen = new Map<string, number>();
  for (const s of storage) {
    seen.set(s.asset_id, (seen.get(s.asset_id) ?? 0) + 1);
    if (!ours.has(s.asset_id)) wrong.push(`storage metered for ${s.asset_id}, not an upload's asset`);
    else if (Number(s.bytes) !== sizeOf.get(s.asset_id))
      wrong.push(`${s.asset_id}: source metered ${s.bytes} B for ${sizeOf.get(s.asset_id)} B`);
  }
  for (const id of ours) if (!seen.has(id)) wrong.push(`${id}: no storage walk saw its source`);
  for (const [id, k] of seen) if (k > 1) wrong.push(`${id}: ${k} source rows`);
  // Encoding seconds (flushed every 2 s here): the duration once per ready rendition.
  await sleep(4000);
  const encoding = await cluster.query<{ subject_id: string; seconds: number | string }>(
    "select subject_id, sum(value) as seconds from usage_records where metric = 'encoding_seconds' group by subject_id",
  );
  for (const e of encoding) {
    const view = views.get(e.subject_id);
    if (!ours.has(e.subject_id) || !view) {
      wrong.push(`encoding metered for ${e.subject_id}, not an upload's asset`);
      continue;
    }
    const expected = (view.duration ?? 0) * view.renditions.filter((r) => r.status === 'ready').length;
    if (Math.abs(Number(e.seconds) - expected) > 0.01 * Math.max(1, expected))
      wrong.push(
        `${e.subject_id}: ${Number(e.seconds).toFixed(2)} encoding s for ${expected.toFixed(2)} expected`,
      );
  }
  return check(
    'each upload counted once in usage (storage walk, reserved bytes, encoding seconds)',
    wrong.length === 0,
    wrong.length
      ? `${wrong.length} wrong: ${wrong.slice(0, 4).join('; ')}`
      : `${storage.length} source levels, ${encoding.length} assets' encoding seconds, 0 reserved uploads`,
  );
}

/**
 * Staged bytes gone or settled: embedded, every staged file belongs to a finished upload (they are
 * hard links to the stored source until the sweep); S3, only the uploads' `.info` files are left
 * under `tus/` (the staged object is copied server-side, then removed).
 */
async function stagingCleared(cluster: Cluster, uploadIds: string[]): Promise<Check> {
  const known = new Set(uploadIds);
  const stray: string[] = [];
  if (cluster.topology === 'embedded') {
    const dir = join((cluster.apis[0] as Proc).dataDir, 'tus');
    const files = await readdir(dir).catch(() => [] as string[]);
    for (const f of files) if (!known.has(f.replace(/\.(json|info)$/, ''))) stray.push(`tus/${f}`);
  } else {
    for (const key of await cluster.listObjects('tus/')) {
      const name = key.slice('tus/'.length);
      if (!name.endsWith('.info') || !known.has(name.slice(0, -'.info'.length))) stray.push(key);
    }
  }
  return check(
    'staging cleaned: nothing staged but finished uploads’ records',
    stray.length === 0,
    stray.length ? `${stray.length} stray: ${stray.slice(0, 4).join(', ')}` : undefined,
  );
}
