/**
 * `disk-and-clock` (docs/reliability.md).
 *
 * embedded — a full disk: the serve's data folder is a 64 MiB tmpfs, filled by a filler file.
 *   (a) a multipart and a tus upload that do not fit get a coded 507 and leave nothing that claims
 *   bytes it does not have; (b) the disk fills while ffmpeg writes: the job fails with a coded
 *   error and is retried, nothing stored is cut short, and once the filler goes the asset becomes
 *   ready by itself. Needs root (mount); skipped otherwise, saying so.
 *
 * scale-out — a clock 30 s off: one api and one worker 30 s ahead, one of each 30 s behind
 *   (libfaketime). Jobs complete once each, no lease is taken over, and playback tokens minted on
 *   a skewed node are accepted or refused exactly as the documented tolerance says.
 */
import { createHash } from 'node:crypto';
import { existsSync, openAsBlob } from 'node:fs';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeClip } from '../../test/fixtures/media.ts';
import { playlistsNameExistingObjects } from '../checks.ts';
import type { Cluster } from '../cluster.ts';
import {
  fillTo,
  freeBytes,
  mountTmpfs,
  removeFiller,
  storedHlsComplete,
  unmount,
} from '../disk-and-clock-parts.ts';
import { type Check, check, type Scenario, type ScenarioContext, type ScenarioReport } from '../scenario.ts';

interface AssetView {
  id: string;
  status: string;
  /** 1 once every rung is encoded (an asset is `ready` from its first playable rung). */
  progress: number | null;
  playback_ids: { id: string; policy: string }[];
  errors?: { code: string; message: string }[];
}

const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';

async function multipart(cluster: Cluster, file: string, base?: string): Promise<Response> {
  const form = new FormData();
  form.append('file', await openAsBlob(file), 'clip.mp4');
  return cluster.api(`${base ?? cluster.url}/v1/assets`, { method: 'POST', body: form });
}

async function assetOf(cluster: Cluster, id: string): Promise<AssetView | undefined> {
  const res = await cluster.api(`/v1/assets/${id}`);
  return res.ok ? ((await res.json()) as { data: AssetView }).data : undefined;
}

async function waitSettled(cluster: Cluster, id: string, timeoutMs: number): Promise<AssetView | undefined> {
  const deadline = Date.now() + timeoutMs;
  let last: AssetView | undefined;
  while (Date.now() < deadline) {
    last = await assetOf(cluster, id).catch(() => undefined);
    if (last && ((last.status === 'ready' && last.progress === 1) || last.status === 'errored')) return last;
    await sleep(500);
  }
  return last;
}

const codeOf = async (res: Response) => {
  const text = await res.text();
  try {
    return (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? text.slice(0, 120);
  } catch {
    return text.slice(0, 120);
  }
};

const b64 = (s: string) => Buffer.from(s).toString('base64');
const tusHeaders = { 'tus-resumable': '1.0.0' };

async function countRows(cluster: Cluster, table: string): Promise<number> {
  const [row] = await cluster.query<{ n: number | string }>(`select count(*) as n from ${table}`);
  return Number(row?.n ?? 0);
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** A pino line in short: its message, code and error message. */
function describeLine(line: string): string {
  try {
    const o = JSON.parse(line) as {
      msg?: string;
      code?: string;
      err?: { message?: string };
      handlerError?: { message?: string };
    };
    return `${o.msg} [${o.code ?? 'no code'}] ${o.handlerError?.message ?? o.err?.message ?? ''}`.slice(
      0,
      200,
    );
  } catch {
    return line.slice(0, 200);
  }
}

// ───────────────────────────── full disk (embedded) ─────────────────────────────

async function fullDisk(ctx: ScenarioContext): Promise<ScenarioReport> {
  if (process.getuid?.() !== 0) {
    return {
      runs: 0,
      checks: [],
      figures: { skipped: 'not root: the full-disk part mounts a tmpfs' },
    };
  }
  const checks: Check[] = [];
  const figures: Record<string, string> = {};
  const media = join(ctx.tmp, 'media');
  await mkdir(media, { recursive: true });
  // Too big for what is left (grain makes a camera-sized file), and a clip that transcodes for a while.
  const big = await makeClip(media, { name: 'big', width: 1280, height: 720, seconds: 2, grain: 40 });
  const long = await makeClip(media, { name: 'long', width: 1280, height: 720, seconds: 20 });
  const bigBytes = (await stat(big)).size;
  let mounted: string | undefined;
  const cluster = await ctx.startCluster({
    // A failed attempt's lease and backoff short, so recovery is seen within the scenario.
    env: { FRAMEHOUSE_JOB_VISIBILITY_TIMEOUT_MS: '15000' },
    prepareDataDir: async (_name, dir) => {
      await mountTmpfs(dir, '64m');
      mounted = dir;
    },
  });
  try {
    const serve = cluster.apis[0];
    if (!serve) throw new Error('no serve');
    const dataDir = serve.dataDir;
    const objects = join(dataDir, 'objects');
    const filler = join(dataDir, 'filler.bin');
    const leave = Math.min(4 * 1024 * 1024, Math.floor(bigBytes / 3));
    const assetsBefore = await countRows(cluster, 'assets');
    const sourcesBefore = (await cluster.listObjects('sources/')).length;
    await fillTo(dataDir, filler, leave);
    const freeAtUpload = await freeBytes(dataDir);
    figures['upload vs free space'] =
      `${(bigBytes / 1048576).toFixed(1)} MiB into ${(freeAtUpload / 1048576).toFixed(1)} MiB`;

    // (a) multipart
    const mp = await multipart(cluster, big);
    const mpCode = await codeOf(mp);
    checks.push(
      check(
        'a multipart upload that does not fit: 507 FH_ERR_STORAGE_FULL',
        mp.status === 507 && mpCode === 'FH_ERR_STORAGE_FULL',
        `${mp.status} ${mpCode}`,
      ),
    );
    // (a) tus: all the bytes in one PATCH
    const body = await readFile(big);
    const created = await cluster.api('/v1/uploads', {
      method: 'POST',
      headers: {
        ...tusHeaders,
        'upload-length': String(body.length),
        'upload-metadata': `filename ${b64('big.mp4')}`,
      },
    });
    const location = created.headers.get('location') ?? '';
    const uploadId = location.split('/').at(-1) ?? '';
    let tusDetail = `create ${created.status}`;
    let tusOk = false;
    let tusOffset = -1;
    let tusStaged = -1;
    if (created.status === 201 && uploadId) {
      const patch = await cluster.api(`/v1/uploads/${uploadId}`, {
        method: 'PATCH',
        headers: { ...tusHeaders, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
        body,
      });
      const code = await codeOf(patch);
      const head = await cluster.api(`/v1/uploads/${uploadId}`, { method: 'HEAD', headers: tusHeaders });
      tusOffset = Number(head.headers.get('upload-offset'));
      // What tus staged on disk for this upload (its data file), against the offset it claims.
      const staged = (await filesUnder(join(dataDir, 'tus'))).filter((f) => f.endsWith(uploadId));
      tusStaged = staged.length ? (await stat(staged[0] as string)).size : 0;
      tusOk = patch.status === 507 && code === 'FH_ERR_STORAGE_FULL';
      tusDetail = `PATCH ${patch.status} ${code}; HEAD offset ${tusOffset}, ${tusStaged} bytes staged of ${body.length}`;
    }
    checks.push(check('a tus upload that does not fit: 507 FH_ERR_STORAGE_FULL', tusOk, tusDetail));
    checks.push(
      check(
        'the tus upload claims no more bytes than it holds',
        tusOffset >= 0 && tusOffset <= tusStaged && tusOffset < body.length,
        `offset ${tusOffset}, staged ${tusStaged}`,
      ),
    );
    const assetsAfter = await countRows(cluster, 'assets');
    const sourcesAfter = (await cluster.listObjects('sources/')).length;
    const temps = (await filesUnder(objects)).filter((f) => f.includes('.tmp-'));
    checks.push(
      check(
        'the refused uploads left no asset row, no source object and no temp file',
        assetsAfter === assetsBefore && sourcesAfter === sourcesBefore && temps.length === 0,
        `assets ${assetsBefore} → ${assetsAfter}, sources ${sourcesBefore} → ${sourcesAfter}, temp files ${temps.length}`,
      ),
    );

    // The space returns: the tus client resumes from its offset and the upload completes, intact.
    await removeFiller(filler);
    let resumedAsset: string | undefined;
    let resumeDetail = '';
    if (uploadId && tusOffset >= 0) {
      // As a tus client does before it resumes: ask where to go on from.
      const head = await cluster.api(`/v1/uploads/${uploadId}`, { method: 'HEAD', headers: tusHeaders });
      const offsetNow = Number(head.headers.get('upload-offset'));
      if (offsetNow !== tusOffset)
        resumeDetail = `offset ${tusOffset} right after the 507, ${offsetNow} later; `;
      tusOffset = offsetNow;
      const rest = await cluster.api(`/v1/uploads/${uploadId}`, {
        method: 'PATCH',
        headers: {
          ...tusHeaders,
          'upload-offset': String(tusOffset),
          'content-type': 'application/offset+octet-stream',
        },
        body: body.subarray(tusOffset),
      });
      resumedAsset = rest.headers.get('framehouse-asset-id') ?? undefined;
      if (!resumedAsset) resumeDetail += `resume PATCH ${rest.status} ${await codeOf(rest)}`;
      else await rest.arrayBuffer();
    }
    const resumed = resumedAsset ? await waitSettled(cluster, resumedAsset, 180_000) : undefined;
    const sourceKey = resumedAsset ? (await cluster.listObjects(`sources/${resumedAsset}/`))[0] : undefined;
    const sameBytes =
      sourceKey !== undefined &&
      createHash('sha256')
        .update(await readFile(join(objects, sourceKey)))
        .digest('hex') === createHash('sha256').update(body).digest('hex');
    checks.push(
      check(
        'once space returns, the tus upload resumes from its offset and becomes a ready asset with the same bytes',
        resumed?.status === 'ready' && sameBytes,
        `asset ${resumedAsset ?? 'none'} ${resumed?.status ?? ''}, sha-256 ${sameBytes ? 'equal' : 'differs or missing'} ${resumeDetail}`,
      ),
    );

    // (b) the disk fills while ffmpeg writes.
    const res = await multipart(cluster, long);
    const asset = res.status === 202 ? ((await res.json()) as { data: AssetView }).data : undefined;
    if (!asset) throw new Error(`upload of the long clip: ${res.status} ${await res.text()}`);
    // Wait for the transcode to write, then take every byte left.
    const work = join(dataDir, 'work');
    const t0 = Date.now();
    while (Date.now() - t0 < 60_000 && (await filesUnder(work)).filter((f) => f.endsWith('.m4s')).length < 2)
      await sleep(100);
    const writingAfter = Date.now() - t0;
    await fillTo(dataDir, filler, 0);
    const fullAt = Date.now();
    ctx.log(`disk full ${writingAfter} ms into the transcode`);
    // Hold the disk full until the transcode has failed at least once (or 30 s).
    let failedJob: { attempts: number; last_error: string | null } | undefined;
    while (Date.now() - fullAt < 30_000) {
      const rows = await cluster.query<{ attempts: number; last_error: string | null }>(
        'select attempts, last_error from jobs where payload like ? and last_error is not null',
        [`%${asset.id}%`],
      );
      failedJob = rows[0];
      if (failedJob) break;
      await sleep(500);
    }
    const heldFullMs = Date.now() - fullAt;
    const logAtFull = serve.log();
    await removeFiller(filler);
    const spaceBack = Date.now();
    const settled = await waitSettled(cluster, asset.id, 240_000);
    const recoveredMs = Date.now() - spaceBack;
    const jobs = await cluster.query<{
      id: string;
      type: string;
      attempts: number;
      state: string;
      last_error: string | null;
    }>('select id, type, attempts, state, last_error from jobs where payload like ?', [`%${asset.id}%`]);
    const retried = jobs.filter((j) => Number(j.attempts) > 1 || j.last_error);
    // What the worker said of the failed attempt: the job's failure, in the database when it could
    // still write there, and in its log lines (the database may sit on the full disk too).
    const jobIds = jobs.map((j) => j.id);
    const failureLines = serve
      .log()
      .split('\n')
      .filter((l) => jobIds.some((id) => l.includes(id)) && /"level":(40|50)/.test(l));
    const codes = [
      ...new Set(
        [...jobs.map((j) => j.last_error ?? ''), ...failureLines].flatMap(
          (t) => t.match(/FH_ERR_[A-Z_]+/g) ?? [],
        ),
      ),
    ];
    checks.push(
      check(
        'the transcode attempt on the full disk failed with FH_ERR_STORAGE_FULL (job row, or log when the database shares the disk) and the job ran again',
        codes.includes('FH_ERR_STORAGE_FULL') && retried.length > 0,
        `${retried.map((j) => `${j.type} attempts ${j.attempts}: ${(j.last_error ?? '').slice(0, 160)}`).join('; ') || 'no job retried'}; codes ${codes.join(', ') || 'none'}; held full ${heldFullMs} ms; ${failedJob ? 'failure recorded in the database' : 'no failure recorded in the database'}; failure log lines: ${
          failureLines.map(describeLine).slice(0, 6).join(' | ') || `none; log tail: ${logAtFull.slice(-300)}`
        }`,
      ),
    );
    checks.push(
      check(
        'once the filler is gone the asset becomes ready by itself',
        settled?.status === 'ready',
        `${settled?.status ?? 'unknown'} ${recoveredMs} ms after space returned ${JSON.stringify(settled?.errors ?? [])}`,
      ),
    );
    const complete = await storedHlsComplete(objects, asset.id);
    checks.push(
      check(
        'every stored segment and playlist of the asset is complete (ffprobe)',
        settled?.status === 'ready' && complete.problems.length === 0 && complete.segments > 0,
        complete.problems.length
          ? complete.problems.slice(0, 5).join('; ')
          : `${complete.segments} segments read`,
      ),
    );
    checks.push(await playlistsNameExistingObjects(cluster, [asset.id]));
    const health = await fetch(`${cluster.url}/healthz`).catch(() => undefined);
    checks.push(
      check(
        'the server stayed up through both',
        serve.alive() && health?.ok === true,
        `healthz ${health?.status}`,
      ),
    );
    figures['disk full during transcode'] = `${(heldFullMs / 1000).toFixed(1)} s`;
    figures['ready after space returned'] = `${(recoveredMs / 1000).toFixed(1)} s`;
    figures['failure code'] = codes.join(', ') || 'none';
    return { runs: 3, checks, figures };
  } finally {
    await cluster.stop();
    if (mounted && existsSync(mounted)) await unmount(mounted);
    else if (mounted) await unmount(mounted).catch(() => {});
  }
}

// ───────────────────────────── clock skew (scale-out) ─────────────────────────────

async function clockSkew(ctx: ScenarioContext): Promise<ScenarioReport> {
  const checks: Check[] = [];
  const figures: Record<string, string> = {};
  if (!existsSync(LIBFAKETIME)) {
    return {
      runs: 0,
      checks: [check('libfaketime is installed (apt-get install faketime)', false, LIBFAKETIME)],
      figures,
    };
  }
  const SKEW_S = 30;
  // Two workers 2 × SKEW_S apart: the documented tolerance (pairwise skew < ⅔ × visibility) needs
  // a visibility timeout above 90 s; the default 60 s tolerates 40 s, and at 60 s apart leases were
  // seen taken over (docs/reliability.md).
  const VISIBILITY_MS = 120_000;
  const skewed = (offset: string) => ({
    LD_PRELOAD: LIBFAKETIME,
    FAKETIME: offset,
    // Only the wall clock: Node's timers run on the monotonic clock, which stays true.
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
  });
  const media = join(ctx.tmp, 'media');
  await mkdir(media, { recursive: true });
  const n = ctx.quick ? 6 : 12;
  const clip = await makeClip(media, { name: 'clip', width: 640, height: 360, seconds: 6 });
  const cluster = await ctx.startCluster({
    apis: 3,
    workers: 4,
    env: { FRAMEHOUSE_JOB_VISIBILITY_TIMEOUT_MS: String(VISIBILITY_MS) },
    envFor: {
      'api-2': skewed(`+${SKEW_S}s`),
      'worker-3': skewed(`+${SKEW_S}s`),
      'api-3': skewed(`-${SKEW_S}s`),
      'worker-4': skewed(`-${SKEW_S}s`),
    },
  });
  // The clocks really moved: each api's Date header against ours.
  const offsets: string[] = [];
  let clocksMoved = true;
  for (const [i, url] of cluster.urls.entries()) {
    const before = Date.now();
    const res = await fetch(`${url}/healthz`);
    const theirs = Date.parse(res.headers.get('date') ?? '');
    const off = Math.round((theirs - (before + Date.now()) / 2) / 1000);
    const want = [0, SKEW_S, -SKEW_S][i] ?? 0;
    if (Math.abs(off - want) > 2) clocksMoved = false;
    offsets.push(`api-${i + 1} ${off >= 0 ? '+' : ''}${off} s`);
  }
  checks.push(
    check(
      `the skewed apis' clocks are ${SKEW_S} s off (their Date headers)`,
      clocksMoved,
      offsets.join(', '),
    ),
  );

  // Uploads through every api; meanwhile, every running job's lease is read around the relay.
  const started = Date.now();
  const ids: string[] = [];
  let sampling = true;
  let minMarginMs = Number.POSITIVE_INFINITY;
  let leaseSamples = 0;
  let expiredToAhead = 0;
  const workerOffsets = new Map<string, number>();
  const sampler = (async () => {
    while (sampling) {
      const now = Date.now();
      const rows = await cluster
        .query<{ lease_owner: string; lease_until: string | Date }>(
          "select lease_owner, lease_until from jobs where state = 'running' and lease_until is not null",
        )
        .catch(() => []);
      for (const r of rows) {
        const until = new Date(r.lease_until).getTime();
        leaseSamples++;
        // How long this lease still looks live to the node furthest ahead (+SKEW_S).
        minMarginMs = Math.min(minMarginMs, until - (now + SKEW_S * 1000));
        if (until - (now + SKEW_S * 1000) < 0) expiredToAhead++;
        const w = cluster.workers.find((p) => r.lease_owner.includes(`-${p.pid()}`));
        // The owner's clock, seen through the lease it wrote: lease_until − visibility − now.
        if (w)
          workerOffsets.set(
            w.name,
            Math.max(workerOffsets.get(w.name) ?? -Infinity, until - VISIBILITY_MS - now),
          );
      }
      await sleep(250);
    }
  })();
  try {
    for (let i = 0; i < n; i++) {
      const url = cluster.urls[i % cluster.urls.length] as string;
      const res = await multipart(cluster, clip, url);
      if (res.status === 202) ids.push(((await res.json()) as { data: AssetView }).data.id);
      else
        checks.push(
          check(`upload ${i} through ${url} accepted`, false, `${res.status} ${await codeOf(res)}`),
        );
    }
    const settled = await Promise.all(ids.map((id) => waitSettled(cluster, id, 300_000)));
    const ready = settled.filter((a) => a?.status === 'ready').length;
    checks.push(
      check(
        `${ready} of ${n} uploads through the 3 apis ready`,
        ready === n,
        settled
          .filter((a) => a?.status !== 'ready')
          .map((a) => `${a?.id} ${a?.status}`)
          .join(', ') || undefined,
      ),
    );
  } finally {
    sampling = false;
    await sampler;
  }
  const elapsed = Date.now() - started;

  // Once each: every job one attempt, completed; every "job started" line once across workers.
  const jobs = await cluster.query<{ id: string; type: string; attempts: number; state: string }>(
    'select id, type, attempts, state from jobs',
  );
  const again = jobs.filter((j) => Number(j.attempts) !== 1 && j.state !== 'queued');
  const starts = new Map<string, string[]>();
  let lost = 0;
  for (const w of cluster.workers) {
    for (const line of w.log().split('\n')) {
      if (line.includes('lease lost') || line.includes('after its lease was lost')) lost++;
      if (!line.includes('"job started"')) continue;
      const id = /"jobId":"([^"]+)"/.exec(line)?.[1];
      if (id) starts.set(id, [...(starts.get(id) ?? []), w.name]);
    }
  }
  const twice = [...starts].filter(([, by]) => by.length > 1);
  checks.push(
    check(
      'every job ran once: one attempt each, started by one worker, no lease lost',
      again.length === 0 && twice.length === 0 && lost === 0 && starts.size > 0,
      `${jobs.length} jobs, ${starts.size} started; more than one attempt: ${again.map((j) => `${j.type}×${j.attempts}`).join(', ') || 'none'}; started twice: ${twice.map(([id, by]) => `${id} by ${by.join('+')}`).join(', ') || 'none'}; lease-lost lines ${lost}`,
    ),
  );
  const ranOnSkewed = cluster.workers
    .filter((w) => w.name === 'worker-3' || w.name === 'worker-4')
    .map((w) => `${w.name} ${[...starts.values()].filter((by) => by.includes(w.name)).length}`);
  // The documented tolerance: a lease is renewed every visibility/3, so it always reaches at least
  // 2/3 of the visibility timeout past its holder's clock: a node whose clock runs less than that
  // ahead of the holder never sees it expire.
  const tolerated = (VISIBILITY_MS * 2) / 3;
  checks.push(
    check(
      `every lease stayed live even to the node ${SKEW_S} s ahead, the workers ${2 * SKEW_S} s apart (tolerated skew between two workers < ⅔ × visibility = ${tolerated / 1000} s)`,
      leaseSamples > 0 && expiredToAhead === 0 && minMarginMs > 0 && 2 * SKEW_S * 1000 < tolerated,
      `${leaseSamples} lease readings; the smallest margin left at +${SKEW_S} s: ${(minMarginMs / 1000).toFixed(1)} s; jobs run by the skewed workers: ${ranOnSkewed.join(', ')}; owners' clocks seen through their leases: ${[...workerOffsets].map(([w, o]) => `${w} ${(o / 1000).toFixed(0)} s`).join(', ')}`,
    ),
  );

  // Tokens: a signed playback id, tokens minted on each node, checked on each node.
  const target = ids[0];
  const asset = target ? await assetOf(cluster, target) : undefined;
  const pid = asset?.playback_ids[0]?.id;
  if (target && pid) {
    await cluster.api(`/v1/assets/${target}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ playback_policy: 'signed' }),
    });
    const mint = async (apiIndex: number, expiresIn: number) => {
      const res = await cluster.api(`${cluster.urls[apiIndex]}/v1/playback-tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ playback_id: pid, expires_in: expiresIn }),
      });
      return ((await res.json()) as { data: { token: string } }).data.token;
    };
    const play = async (apiIndex: number, token: string) => {
      const res = await fetch(
        `${cluster.urls[apiIndex]}/play/${pid}/master.m3u8?token=${encodeURIComponent(token)}`,
      );
      return res.ok ? 'ok' : await codeOf(res);
    };
    const names = ['api-1 (true)', `api-2 (+${SKEW_S} s)`, `api-3 (−${SKEW_S} s)`];
    const offsetsS = [0, SKEW_S, -SKEW_S];
    // Documented: a verifier accepts a token while its own clock is before exp + 5 s; exp is the
    // signer's clock + expires_in. So it works iff expires_in + signer offset − verifier offset + 5 > 0.
    const wrong: string[] = [];
    const seen: string[] = [];
    for (const expiresIn of [40, 300]) {
      for (let s = 0; s < 3; s++) {
        const token = await mint(s, expiresIn);
        for (let v = 0; v < 3; v++) {
          const got = await play(v, token);
          const expect =
            expiresIn + (offsetsS[s] as number) - (offsetsS[v] as number) + 5 > 1
              ? 'ok'
              : 'FH_ERR_PLAYBACK_TOKEN_EXPIRED';
          seen.push(`${expiresIn}s ${names[s]}→${names[v]}: ${got}`);
          if (got !== expect)
            wrong.push(
              `${expiresIn} s token minted on ${names[s]}, played on ${names[v]}: ${got}, expected ${expect}`,
            );
        }
      }
    }
    checks.push(
      check(
        'playback tokens minted on each node are accepted or refused on each node exactly as the documented tolerance says',
        wrong.length === 0,
        wrong.length ? wrong.join('; ') : seen.filter((x) => !x.endsWith('ok')).join('; ') || 'all accepted',
      ),
    );
    // A token minted 30 s ahead with the default lifetime works everywhere.
    const ahead = await mint(1, 3600);
    const everywhere = await Promise.all([0, 1, 2].map((v) => play(v, ahead)));
    checks.push(
      check(
        `a token minted on the node ${SKEW_S} s ahead (1 h) is accepted by every node`,
        everywhere.every((x) => x === 'ok'),
        everywhere.join(', '),
      ),
    );
  } else {
    checks.push(check('a ready asset to mint tokens for', false, `asset ${target} ${asset?.status}`));
  }
  figures.clocks = offsets.join(', ');
  figures['uploads ready'] = `${ids.length} in ${(elapsed / 1000).toFixed(0)} s`;
  figures['smallest lease margin at +30 s'] = `${(minMarginMs / 1000).toFixed(1)} s`;
  return { runs: n, checks, figures };
}

export const diskAndClock: Scenario = {
  id: 'disk-and-clock',
  title: 'A full disk during an upload and during a transcode; nodes whose clocks are 30 s off',
  topologies: ['embedded', 'scale-out'],
  run: (ctx) => (ctx.topology === 'embedded' ? fullDisk(ctx) : clockSkew(ctx)),
};
