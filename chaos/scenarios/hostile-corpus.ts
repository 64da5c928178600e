/**
 * hostile-corpus (docs/reliability.md): ≥ 40 hostile inputs from chaos/corpus/, each with the
 * answer it must get; a canary file outside the data folders and bait listeners (loopback and
 * 169.254.169.254) that nothing may read or reach; /healthz after every input, no process
 * restarted, and an ordinary upload ready at the end.
 *
 * Scale-out runs the file and HTTP entries; the live entries need the live role, which the
 * scale-out cluster does not start, so they run on embedded only.
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { publishRtmp } from '../../test/helpers/live.ts';
import { freeUdpRange } from '../../test/helpers/live-media.ts';
import { freePort } from '../../test/helpers/processes.ts';
import type { Cluster } from '../cluster.ts';
import { fileEntries } from '../corpus/files.ts';
import {
  type CorpusEntry,
  type Harness,
  type LiveHarness,
  type LiveStream,
  settle,
  uploadMultipart,
} from '../corpus/harness.ts';
import { liveEntries } from '../corpus/live.ts';
import { maker, RECIPE_NAMES } from '../corpus/make.ts';
import { MAX_UPLOAD_BYTES, requestEntries } from '../corpus/requests.ts';
import { plantCanary, startLoopbackBait, startMetadataBait } from '../hostile-bait.ts';
import { type Check, check, percentile, type Scenario } from '../scenario.ts';

export const corpus: readonly CorpusEntry[] = [...fileEntries, ...requestEntries, ...liveEntries];

interface Result {
  entry: CorpusEntry;
  got: string;
  ms: number;
  /** /healthz failures right after this input. */
  down: string[];
}

export const hostileCorpus: Scenario = {
  id: 'hostile-corpus',
  title: '≥ 40 hostile inputs, each with the answer it must get (`chaos/corpus/`)',
  topologies: ['embedded', 'scale-out'],
  async run(ctx) {
    const canary = await plantCanary(join(ctx.tmp, 'outside'));
    const bait = await startLoopbackBait();
    const metadata = await startMetadataBait();
    if (metadata.unavailable)
      ctx.log(`169.254.169.254 bait unavailable (${metadata.unavailable}): loopback bait only`);
    const inputs = join(ctx.tmp, 'inputs');
    await mkdir(inputs, { recursive: true });
    const tmpBefore = await evilInTmp();

    const live = ctx.topology === 'embedded';
    const rtmpPort = await freePort();
    const srt = live ? await freeUdpRange(4) : undefined;
    const cluster = await ctx.startCluster({
      env: {
        FRAMEHOUSE_MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES),
        FRAMEHOUSE_LIVE_MAX_RUNGS: '1',
        ...(live && srt
          ? { FRAMEHOUSE_RTMP_PORT: String(rtmpPort), FRAMEHOUSE_SRT_PORTS: `${srt.first}-${srt.last}` }
          : {}),
      },
    });
    const pidsBefore = cluster.procs.map((p) => `${p.name}:${p.pid()}`);
    const answers: string[] = [];
    const make = maker(inputs);
    ctx.log(`building ${RECIPE_NAMES.length} inputs`);
    for (const name of RECIPE_NAMES) await make(name);

    const h: Harness = {
      cluster,
      dir: inputs,
      canaryPath: canary.path,
      secret: canary.secret,
      baitUrl: bait.url,
      metadataUrl: metadata.url,
      seen: (body) => answers.push(body),
      make,
      settleMs: ctx.quick ? 120_000 : 180_000,
    };
    const entries = corpus.filter((e) => live || !e.live);
    const results: Result[] = [];
    let good: { stop(): Promise<void> } | undefined;
    try {
      for (const [i, entry] of entries.entries()) {
        if (entry.live && !h.live) {
          const l = await liveHarness(cluster, rtmpPort);
          h.live = l.harness;
          good = l.publisher;
        }
        const started = Date.now();
        const got = await Promise.race([
          entry.run(h).catch((e: Error) => `threw ${e.message.slice(0, 200)}`),
          new Promise<string>((r) => setTimeout(() => r('no answer in time (hang)'), h.settleMs + 60_000)),
        ]);
        const ms = Date.now() - started;
        const down = await healthz(cluster);
        results.push({ entry, got, ms, down });
        if (got !== entry.expect) ctx.log(`${entry.id}: expected "${entry.expect}", got "${got}"`);
        ctx.progress(i + 1, entries.length);
      }
    } finally {
      await good?.stop();
    }
    if (!live)
      ctx.log(
        `${corpus.length - entries.length} live entries skipped: the scale-out cluster starts no live node`,
      );

    // An ordinary upload at the end.
    const ordinary = await uploadMultipart(
      h,
      { bytes: await readFile(await make('good.mp4')), filename: 'ordinary.mp4' },
      { title: 'ordinary' },
    );
    const ordinaryId =
      ordinary.status === 202 ? ((await ordinary.json()) as { data: { id: string } }).data.id : undefined;
    const ordinaryGot = ordinaryId ? await settle(h, ordinaryId) : `refused ${ordinary.status}`;

    const checks: Check[] = [];
    const wrong = results.filter((r) => r.got !== r.entry.expect);
    checks.push(
      check(
        `${results.length} of ${results.length} hostile inputs get the answer they must get (${families(results)})`,
        wrong.length === 0,
        wrong.length
          ? `${results.length - wrong.length}/${results.length} held; ${wrong.map((r) => `${r.entry.id}: expected "${r.entry.expect}", got "${r.got}"`).join('; ')}`
          : `${results.length}/${results.length}`,
      ),
    );

    // Nothing read outside the data folder.
    const leaks = await secretLeaks(cluster, canary.secret, answers);
    checks.push(
      check(
        "the canary's secret is in no answer, stored object, data file, database row or log",
        leaks.found.length === 0,
        `${answers.length} answers, ${leaks.objects} objects, ${leaks.files} data files, ${leaks.rows} rows, ${cluster.procs.length} logs searched${leaks.found.length ? `; found in ${leaks.found.slice(0, 5).join(', ')}` : ''}`,
      ),
    );
    const read = await canary.wasRead();
    checks.push(
      check(
        'the canary file outside the data folder was never opened (its atime did not move)',
        !read,
        read ? 'atime moved' : undefined,
      ),
    );
    const tmpAfter = await evilInTmp();
    const keys = await cluster.listObjects('');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
    const strayKeys = keys.filter((k) => /\.\.|[\u0000-\u001f]|^\//.test(k) || !/^[a-z-]+\//.test(k));
    const strayFiles = tmpAfter.filter((f) => !tmpBefore.includes(f));
    checks.push(
      check(
        'no file written outside the data folder and no object key with .., control characters or no prefix',
        strayKeys.length === 0 && strayFiles.length === 0,
        `${keys.length} keys${
          strayKeys.length
            ? `; stray keys: ${strayKeys
                .slice(0, 5)
                .map((k) => JSON.stringify(k))
                .join(', ')}`
            : ''
        }${strayFiles.length ? `; new in /tmp: ${strayFiles.join(', ')}` : ''}`,
      ),
    );

    // No connection to an address nobody asked for.
    const hits = [...bait.hits, ...metadata.hits];
    checks.push(
      check(
        `no connection reached the bait on loopback${metadata.unavailable ? '' : ' or on 169.254.169.254'}`,
        hits.length === 0,
        hits.length
          ? `${hits.length} hits: ${hits
              .slice(0, 5)
              .map((x) => `${x.to} "${x.firstLine}"`)
              .join('; ')}`
          : `0 hits${metadata.unavailable ? ` (metadata bait unavailable: ${metadata.unavailable})` : ''}`,
      ),
    );

    // The server stays up.
    const downs = results.filter((r) => r.down.length > 0);
    const pidsAfter = cluster.procs.map((p) => `${p.name}:${p.pid()}${p.alive() ? '' : ' (dead)'}`);
    checks.push(
      check(
        `/healthz answered after every input on ${cluster.apis.length} api process(es), and no process died or restarted`,
        downs.length === 0 && pidsAfter.join() === pidsBefore.join(),
        `${results.length} probes${downs.length ? `; down after ${downs.map((r) => `${r.entry.id} (${r.down.join(', ')})`).join('; ')}` : ''}; pids ${pidsBefore.join(' ')} → ${pidsAfter.join(' ')}`,
      ),
    );
    checks.push(
      check(
        'an ordinary upload made at the end becomes ready',
        ordinaryGot === 'ready',
        `${ordinaryId ?? '-'}: ${ordinaryGot}`,
      ),
    );

    await bait.close();
    await metadata.close();

    const times = results.map((r) => r.ms);
    return {
      runs: results.length,
      checks,
      figures: {
        inputs: String(results.length),
        held: `${results.length - wrong.length}/${results.length}`,
        'p50 per input': formatMs(percentile(times, 50)),
        'max per input': formatMs(Math.max(...times)),
      },
    };
  },
};

function formatMs(ms: number): string {
  return ms >= 10_000
    ? `${(ms / 1000).toFixed(0)} s`
    : ms >= 1000
      ? `${(ms / 1000).toFixed(1)} s`
      : `${Math.round(ms)} ms`;
}

function families(results: Result[]): string {
  const count = new Map<string, number>();
  for (const r of results) count.set(r.entry.family, (count.get(r.entry.family) ?? 0) + 1);
  return [...count].map(([f, n]) => `${f} ${n}`).join(', ');
}

async function healthz(cluster: Cluster): Promise<string[]> {
  const down: string[] = [];
  for (const p of cluster.apis) {
    try {
      const res = await fetch(`${p.url}/healthz`, { signal: AbortSignal.timeout(5000) });
      await res.arrayBuffer();
      if (res.status !== 200) down.push(`${p.name} ${res.status}`);
    } catch (e) {
      down.push(`${p.name} ${(e as Error).message}`);
    }
  }
  for (const p of cluster.procs) if (!p.alive()) down.push(`${p.name} exited`);
  return down;
}

/** Names in /tmp that a traversal in a file name (…/tmp/evil…) would make. */
async function evilInTmp(): Promise<string[]> {
  return (await readdir('/tmp').catch(() => [] as string[])).filter((n) => n.startsWith('evil'));
}

async function secretLeaks(cluster: Cluster, secret: string, answers: string[]) {
  const found: string[] = [];
  for (const [i, a] of answers.entries()) if (a.includes(secret)) found.push(`answer #${i}`);
  const keys = await cluster.listObjects('');
  for (const key of keys) {
    const body = await cluster.readObject(key).catch(() => Buffer.alloc(0));
    if (body.includes(secret)) found.push(`object ${key}`);
  }
  let files = 0;
  for (const p of cluster.procs) {
    const entries = await readdir(p.dataDir, { withFileTypes: true, recursive: true }).catch(() => []);
    for (const e of entries) {
      if (!e.isFile()) continue;
      files++;
      const body = await readFile(join(e.parentPath, e.name)).catch(() => Buffer.alloc(0));
      if (body.includes(secret)) found.push(`file ${join(e.parentPath, e.name)}`);
    }
    if (p.log().includes(secret)) found.push(`log of ${p.name}`);
  }
  let rows = 0;
  if (cluster.topology === 'scale-out') {
    const tables = await cluster.query<{ table_name: string }>(
      'select table_name from information_schema.tables where table_schema = current_schema()',
    );
    for (const t of tables) {
      const all = await cluster.query(`select * from "${t.table_name}"`);
      rows += all.length;
      if (JSON.stringify(all).includes(secret)) found.push(`table ${t.table_name}`);
    }
  }
  return { found, objects: keys.length, files, rows };
}

/** The good stream the live entries run beside: created, published by real ffmpeg, on air. */
async function liveHarness(cluster: Cluster, rtmpPort: number) {
  const json = async <T>(path: string, init?: RequestInit) => {
    const res = await cluster.api(path, init);
    return (await res.json()) as T;
  };
  const createStream = async (body: Record<string, unknown> = {}) =>
    (
      await json<{ data: LiveStream }>('/v1/live-streams', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'hostile-corpus', ...body }),
      })
    ).data;
  const getStream = async (id: string) => (await json<{ data: LiveStream }>(`/v1/live-streams/${id}`)).data;
  const goodStream = await createStream({ reconnect_window: 5, record: false });
  const rtmp = `rtmp://127.0.0.1:${rtmpPort}/live`;
  const publisher = publishRtmp(`${rtmp}/${goodStream.stream_key}`, { seconds: 900, size: '320x180' });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && (await getStream(goodStream.id)).status !== 'active')
    await new Promise((r) => setTimeout(r, 300));
  const harness: LiveHarness = { rtmpPort, rtmp, goodStreamId: goodStream.id, createStream, getStream };
  return { harness, publisher };
}
