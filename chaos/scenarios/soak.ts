/**
 * `soak` (docs/reliability.md): 200 HLS viewers at player pace while 5 uploads transcode, on one
 * `serve`, then the same through a `framehouse edge` process in front of it. Nothing may fail, the
 * server's memory may not grow past warm-up, and it may not keep file descriptors it opened.
 */
import { openAsBlob } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeClip } from '../../test/fixtures/media.ts';
import { type EdgeProcess, spawnEdge } from '../../test/helpers/edge.ts';
import type { Cluster } from '../cluster.ts';
import { type Check, check, percentile, type Scenario, type ScenarioContext } from '../scenario.ts';
import {
  type Failure,
  runViewers,
  type Sample,
  sampleProcess,
  sampler,
  type ViewerStats,
} from '../soak-viewers.ts';

const VIEWERS = 200;
const UPLOADS_IN_FLIGHT = 5;
const SAMPLE_EVERY_MS = 10_000;
/** Open descriptors a process may hold more after the soak than before it, and why (see `fdSlack`). */
const FD_SLACK = 8;

interface AssetView {
  id: string;
  status: string;
  playback: { hls?: string };
  errors?: { code: string }[];
}

async function upload(cluster: Cluster, file: string, name: string): Promise<AssetView> {
  const form = new FormData();
  form.append('file', await openAsBlob(file), `${name}.mp4`);
  form.append('title', name);
  const res = await cluster.api('/v1/assets', { method: 'POST', body: form });
  if (res.status !== 202) throw new Error(`upload ${name}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { data: AssetView }).data;
}

async function untilSettled(cluster: Cluster, id: string, timeoutMs: number): Promise<AssetView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await cluster.api(`/v1/assets/${id}`);
    if (res.ok) {
      const a = ((await res.json()) as { data: AssetView }).data;
      if (a.status === 'ready' || a.status === 'errored') return a;
    }
    if (Date.now() > deadline) throw new Error(`asset ${id} not settled in ${timeoutMs} ms`);
    await sleep(500);
  }
}

const ms = (v: number) => (Number.isFinite(v) ? `${Math.round(v)} ms` : 'n/a');
const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
const avg = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Mean RSS of the samples in [from, to). */
function rssIn(samples: readonly Sample[], from: number, to: number): number {
  const inWindow = samples.filter((s) => s.at >= from && s.at < to).map((s) => s.rssKiB);
  return inWindow.length ? avg(inWindow) : Number.NaN;
}

function listFailures(failures: readonly Failure[], t0: number): string {
  const byKind = new Map<string, number>();
  for (const f of failures) byKind.set(String(f.status), (byKind.get(String(f.status)) ?? 0) + 1);
  const kinds = [...byKind].map(([k, n]) => `${k} ×${n}`).join(', ');
  const first = failures
    .slice(0, 5)
    .map((f) => `+${((f.at - t0) / 1000).toFixed(1)}s ${f.status} ${new URL(f.url).pathname}`)
    .join('; ');
  return `${failures.length} failed (${kinds}); first: ${first}`;
}

/** One soak phase against `base` (the serve, or the edge in front of it). */
async function soakPhase(
  ctx: ScenarioContext,
  cluster: Cluster,
  o: { label: string; base: string; masters: string[]; clip: string; edge?: EdgeProcess },
): Promise<{ checks: Check[]; figures: Record<string, string>; requests: number }> {
  const durationMs = ctx.quick ? 60_000 : 600_000;
  const warmupMs = ctx.quick ? 20_000 : 120_000;
  const serve = cluster.apis[0];
  if (!serve) throw new Error('no serve');
  const watched: Array<{ name: string; pid: () => number | undefined }> = [{ name: 'serve', pid: serve.pid }];
  if (o.edge) {
    const edge = o.edge;
    watched.push({ name: 'edge', pid: () => edge.child.pid });
  }
  // Descriptors at rest, before: no viewer, no upload, a moment after the last settled.
  await sleep(3000);
  const before = new Map<string, Sample>();
  for (const w of watched) before.set(w.name, await sampleProcess(w.pid() as number));

  const samplers = watched.map((w) => ({ name: w.name, s: sampler(w.pid, SAMPLE_EVERY_MS) }));
  const t0 = Date.now();
  const until = t0 + durationMs;
  const stats: ViewerStats = { requests: 0, segments: [], playlists: [], failures: [], finishedPlays: 0 };

  // Uploads: 5 in flight from the start (warm-up) to the end, a new one when one settles.
  const uploadFailures: string[] = [];
  const uploadedIds: string[] = [];
  let settledOk = 0;
  let seq = 0;
  const uploader = async () => {
    while (Date.now() < until) {
      const name = `${o.label}-soak-${++seq}`;
      try {
        const a = await upload(cluster, o.clip, name);
        uploadedIds.push(a.id);
        const done = await untilSettled(cluster, a.id, 300_000);
        if (done.status === 'ready') settledOk++;
        else uploadFailures.push(`${a.id} errored ${JSON.stringify(done.errors ?? [])}`);
      } catch (e) {
        uploadFailures.push(`${name}: ${(e as Error).message}`);
        await sleep(1000);
      }
    }
  };
  const progress = setInterval(() => ctx.progress(Math.min(durationMs, Date.now() - t0), durationMs), 2000);
  ctx.log(`${o.label}: ${VIEWERS} viewers and ${UPLOADS_IN_FLIGHT} uploads for ${durationMs / 1000} s`);
  try {
    await Promise.all([
      runViewers({
        base: o.base,
        masters: o.masters,
        count: VIEWERS,
        staggerMs: Math.min(warmupMs / 2, 30_000),
        until,
        stats,
      }),
      ...Array.from({ length: UPLOADS_IN_FLIGHT }, () => uploader()),
    ]);
  } finally {
    clearInterval(progress);
  }
  const tEnd = Date.now();
  for (const { s } of samplers) await s.stop();
  // Descriptors at rest, after: the viewers' connections closed, uploads settled, idle sockets gone.
  await sleep(6000);
  const after = new Map<string, Sample>();
  for (const w of watched) after.set(w.name, await sampleProcess(w.pid() as number));

  const checks: Check[] = [];
  const figures: Record<string, string> = {};
  const tag = o.edge ? ' (through the edge)' : '';
  checks.push(
    check(
      `0 failed viewer requests of ${stats.requests}${tag}`,
      stats.failures.length === 0 && stats.requests > 0,
      stats.failures.length
        ? listFailures(stats.failures, t0)
        : `${stats.requests} requests, ${stats.finishedPlays} plays to the end`,
    ),
  );
  checks.push(
    check(
      `every upload during the soak accepted and ready${tag}`,
      uploadFailures.length === 0 && settledOk > 0,
      uploadFailures.length
        ? `${uploadFailures.length} failed: ${uploadFailures.slice(0, 3).join('; ')}`
        : `${settledOk} uploads ready (${uploadedIds.length} started)`,
    ),
  );
  const alive = serve.alive() && (!o.edge || o.edge.child.exitCode === null);
  checks.push(check(`the serve${o.edge ? ' and the edge' : ''} stayed up${tag}`, alive));

  for (const { name, s } of samplers) {
    const warm = rssIn(s.samples, t0 + warmupMs, t0 + warmupMs + 30_000);
    const end = rssIn(s.samples, tEnd - 30_000, tEnd + 1);
    const growth = (end / warm - 1) * 100;
    const rssList = s.samples.map((x) => Math.round(x.rssKiB / 1024)).join(' ');
    checks.push(
      check(
        `${name} RSS growth < 10 % from warm-up to the end${tag}`,
        Number.isFinite(growth) && growth < 10,
        `${mib(warm)} after warm-up (mean of the 30 s after ${warmupMs / 1000} s) → ${mib(end)} at the end (mean of the last 30 s): ${growth.toFixed(1)} %; samples (MiB, every ${SAMPLE_EVERY_MS / 1000} s): ${rssList}`,
      ),
    );
    const b = before.get(name) as Sample;
    const a = after.get(name) as Sample;
    const peak = Math.max(...s.samples.map((x) => x.fds));
    checks.push(
      check(
        `${name} holds no more file descriptors after the soak than before (slack ${FD_SLACK})${tag}`,
        a.fds <= b.fds + FD_SLACK,
        `${b.fds} at rest before, ${peak} at most under load, ${a.fds} at rest after`,
      ),
    );
    const prefix = `${o.edge ? 'via edge: ' : ''}${name}`;
    figures[`${prefix} RSS warm → end`] =
      `${mib(warm)} → ${mib(end)} (${growth >= 0 ? '+' : ''}${growth.toFixed(1)} %)`;
    figures[`${prefix} fds before → after`] = `${b.fds} → ${a.fds} (peak ${peak})`;
  }
  const p = o.edge ? 'via edge: ' : '';
  figures[`${p}requests`] = `${stats.requests} (${VIEWERS} viewers, ${Math.round(durationMs / 60_000)} min)`;
  figures[`${p}failed`] = String(stats.failures.length);
  figures[`${p}p50 segment`] = ms(percentile(stats.segments, 50));
  figures[`${p}p99 segment`] = ms(percentile(stats.segments, 99));
  figures[`${p}p99 playlist`] = ms(percentile(stats.playlists, 99));
  figures[`${p}uploads ready during soak`] = String(settledOk);
  return { checks, figures, requests: stats.requests };
}

export const soak: Scenario = {
  id: 'soak',
  title: '200 HLS viewers at player pace while 5 uploads transcode, on one serve, then through the edge',
  topologies: ['embedded'],
  async run(ctx) {
    const media = join(ctx.tmp, 'media');
    await mkdir(media, { recursive: true });
    const seconds = ctx.quick ? 20 : 30;
    ctx.log(`making clips (${seconds} s) and a short one for the uploads`);
    const clips = await Promise.all(
      [0, 1, 2].map((i) =>
        makeClip(media, { name: `watch-${i}`, width: 640, height: 360, seconds: seconds - i * 4 }),
      ),
    );
    const uploadClip = await makeClip(media, { name: 'upload', width: 640, height: 360, seconds: 8 });

    const cluster = await ctx.startCluster();
    const masters: string[] = [];
    for (const [i, clip] of clips.entries()) {
      const a = await untilSettled(cluster, (await upload(cluster, clip, `watch-${i}`)).id, 300_000);
      if (a.status !== 'ready' || !a.playback.hls)
        throw new Error(`clip ${i} did not become ready: ${JSON.stringify(a)}`);
      masters.push(a.playback.hls);
    }
    // One pass over every playlist and segment before the "before" figures: what the first request
    // opens once (the database's statements, the thread pool) is not growth.
    const prime: ViewerStats = { requests: 0, segments: [], playlists: [], failures: [], finishedPlays: 0 };
    await runViewers({
      base: cluster.url,
      masters,
      count: 3,
      staggerMs: 0,
      until: Date.now() + 3000,
      stats: prime,
    });

    const direct = await soakPhase(ctx, cluster, {
      label: 'direct',
      base: cluster.url,
      masters,
      clip: uploadClip,
    });

    const edge = await spawnEdge([
      '--origin',
      cluster.url,
      '--cache-dir',
      join(ctx.tmp, 'edge-cache'),
      '--api-key',
      cluster.apiKey,
    ]);
    try {
      await runViewers({
        base: edge.url,
        masters,
        count: 3,
        staggerMs: 0,
        until: Date.now() + 3000,
        stats: prime,
      });
      const viaEdge = await soakPhase(ctx, cluster, {
        label: 'edge',
        base: edge.url,
        masters,
        clip: uploadClip,
        edge,
      });
      return {
        runs: direct.requests + viaEdge.requests,
        checks: [...direct.checks, ...viaEdge.checks],
        figures: { ...direct.figures, ...viaEdge.figures },
      };
    } finally {
      await edge.stop('SIGKILL');
    }
  },
};
