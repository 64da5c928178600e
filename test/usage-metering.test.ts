import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openDatabase } from '../src/db/database.ts';
import { LocalObjectStore } from '../src/storage/local-store.ts';
import { walkStorage } from '../src/usage/storage-walk.ts';
import { makeClip } from './fixtures/media.ts';
import { type EdgeProcess, spawnEdge } from './helpers/edge.ts';
import { type LiveStreamBody, publishRtmp, waitForStream } from './helpers/live.ts';
import { exited, freePort, spawnServe } from './helpers/processes.ts';
import { waitForValue } from './helpers/wait.ts';

// Usage metering end to end (docs/usage.md): a real `framehouse serve` (usage flushed every
// second) and a real `framehouse edge` that reports every second. A clip is uploaded and
// transcoded; every playlist and segment is downloaded through the origin and through the edge
// (some as ranges, some twice), counting the bytes received; GET /v1/usage must agree within 1 %.
// A real ffmpeg publishes over RTMP for a known time: live input minutes.

const KEY = 'fh_usage_test_admin_key_0123456789';
const auth = { authorization: `Bearer ${KEY}` };
const SEGMENT_SECONDS = 2;
const CLIP_SECONDS = 7;

interface Asset {
  id: string;
  status: string;
  progress: number | null;
  duration: number;
  renditions: { name: string; width: number | null; height: number | null; status: string }[];
  playback_ids: { id: string }[];
}

interface Figures {
  encoding_minutes: Record<string, number>;
  stored_gb_hours: Record<string, number>;
  delivered_bytes: { origin: number; edge: number; total: number };
  delivered_minutes: { origin: number; edge: number; total: number };
  live_input_minutes: number;
}
type Row = Figures & { subject_kind?: string; subject_id?: string; owner?: string; title?: string | null };
interface Report {
  data: Row[];
  from: string;
  to: string;
  group_by: string;
  totals: Figures;
}

/** What a download got: body bytes and the media seconds they carry (a range: its share). */
interface Tally {
  bytes: number;
  seconds: number;
}

const near = (actual: number, expected: number, tolerance: number, what: string) =>
  assert.ok(
    Math.abs(actual - expected) <= tolerance * Math.max(Math.abs(expected), 1e-9),
    `${what}: ${actual} counted, ${expected} expected (±${tolerance * 100} %)`,
  );

describe('usage metering against what was really delivered', () => {
  let work: string;
  let dataDir: string;
  let origin: Awaited<ReturnType<typeof spawnServe>>;
  let edge: EdgeProcess;
  let asset: Asset;
  let pid: string;
  let rtmpPort: number;

  const usage = async (query: string): Promise<Report> => {
    const res = await fetch(`${origin.url}/v1/usage?${query}`, { headers: auth });
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as Report;
  };
  const assetRow = (r: Report, id: string) => r.data.find((d) => d.subject_id === id);

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'fh-usage-'));
    dataDir = join(work, 'data');
    rtmpPort = await freePort();
    origin = await spawnServe({
      FRAMEHOUSE_DATA_DIR: dataDir,
      FRAMEHOUSE_ADMIN_API_KEY: KEY,
      FRAMEHOUSE_LOG_LEVEL: 'warn',
      FRAMEHOUSE_USAGE_FLUSH_SECONDS: '1',
      FRAMEHOUSE_SEGMENT_SECONDS: String(SEGMENT_SECONDS),
      FRAMEHOUSE_RTMP_PORT: String(rtmpPort),
      FRAMEHOUSE_LIVE_MAX_RUNGS: '2',
    });
    const file = await makeClip(work, { name: 'metered', width: 640, height: 360, seconds: CLIP_SECONDS });
    const form = new FormData();
    form.append('file', await openAsBlob(file), 'metered.mp4');
    form.append('title', 'Metered, "clip"');
    const res = await fetch(`${origin.url}/v1/assets`, { method: 'POST', body: form, headers: auth });
    assert.equal(res.status, 202);
    const created = ((await res.json()) as { data: Asset }).data;
    asset = await waitForValue(
      async () =>
        (
          (await (await fetch(`${origin.url}/v1/assets/${created.id}`, { headers: auth })).json()) as {
            data: Asset;
          }
        ).data,
      (a) => a.status === 'errored' || (a.status === 'ready' && a.progress === 1),
      { timeoutMs: 120_000, intervalMs: 300, what: 'the asset to be transcoded' },
    );
    assert.equal(asset.status, 'ready');
    pid = asset.playback_ids[0]?.id ?? '';
    edge = await spawnEdge([
      '--origin',
      origin.url,
      '--cache-dir',
      join(work, 'edge-cache'),
      '--api-key',
      KEY,
      '--usage-report-seconds',
      '1',
    ]);
  });
  after(async () => {
    await edge?.stop('SIGKILL');
    origin?.child.kill('SIGKILL');
    if (origin) await exited(origin.child);
    await rm(work, { recursive: true, force: true });
  });

  /** Every playlist, init segment and media segment of the asset from `base`, some as ranges, some twice. */
  const downloadAll = async (base: string): Promise<Tally> => {
    const tally: Tally = { bytes: 0, seconds: 0 };
    const get = async (path: string, range?: [number, number]) => {
      const res = await fetch(`${base}/play/${pid}/${path}`, {
        headers: range ? { range: `bytes=${range[0]}-${range[1]}` } : {},
      });
      assert.equal(res.status, range ? 206 : 200, `${path}: ${res.status}`);
      const body = Buffer.from(await res.arrayBuffer());
      tally.bytes += body.length;
      return { body, size: Number((res.headers.get('content-range') ?? '').split('/')[1] ?? body.length) };
    };
    const uris = (text: string) =>
      [
        ...text.split('\n').filter((l) => l.trim() && !l.startsWith('#')),
        ...[...text.matchAll(/URI="([^"]+)"/g)].map((m) => m[1] as string),
      ].map((l) => l.trim());
    const master = (await get('master.m3u8')).body.toString('utf8');
    let n = 0;
    for (const playlistPath of uris(master)) {
      const folder = playlistPath.slice(0, playlistPath.lastIndexOf('/') + 1);
      const playlist = (await get(playlistPath)).body.toString('utf8');
      for (const file of uris(playlist)) {
        const seg = /seg_(\d+)\.m4s$/.exec(file);
        const segSeconds = seg
          ? Math.min(SEGMENT_SECONDS, asset.duration - Number(seg[1]) * SEGMENT_SECONDS)
          : 0;
        n++;
        const whole = await get(`${folder}${file}`);
        tally.seconds += segSeconds;
        if (seg && n % 3 === 0) {
          // A range: a third of the segment (its share of the seconds).
          const end = Math.floor(whole.size / 3);
          await get(`${folder}${file}`, [0, end - 1]);
          tally.seconds += (segSeconds * end) / whole.size;
        }
        if (n % 4 === 0) {
          await get(`${folder}${file}`); // twice
          tally.seconds += segSeconds;
        }
      }
    }
    return tally;
  };

  test('delivered bytes and minutes at the origin and at the edge agree with what was downloaded', async (t) => {
    const fromOrigin = await downloadAll(origin.url);
    // Through the edge twice: the first pass fills it (fills are not the origin's to count), the second is hits.
    const viaEdge1 = await downloadAll(edge.url);
    const viaEdge2 = await downloadAll(edge.url);
    const viaEdge = { bytes: viaEdge1.bytes + viaEdge2.bytes, seconds: viaEdge1.seconds + viaEdge2.seconds };
    assert.ok(fromOrigin.bytes > 100_000, `${fromOrigin.bytes} bytes downloaded`);

    const row = await waitForValue(
      async () => assetRow(await usage('group_by=asset'), asset.id),
      (r) => r !== undefined && r.delivered_bytes.edge >= viaEdge.bytes * 0.99,
      { timeoutMs: 20_000, intervalMs: 500, what: 'the edge report to be counted' },
    );
    assert.ok(row);
    t.diagnostic(
      `origin: ${row.delivered_bytes.origin} bytes counted / ${fromOrigin.bytes} received, ${row.delivered_minutes.origin * 60} s / ${fromOrigin.seconds} s; ` +
        `edge: ${row.delivered_bytes.edge} / ${viaEdge.bytes}, ${row.delivered_minutes.edge * 60} s / ${viaEdge.seconds} s`,
    );
    near(row.delivered_bytes.origin, fromOrigin.bytes, 0.01, 'origin bytes');
    near(row.delivered_bytes.edge, viaEdge.bytes, 0.01, 'edge bytes');
    near(row.delivered_minutes.origin, fromOrigin.seconds / 60, 0.01, 'origin minutes');
    near(row.delivered_minutes.edge, viaEdge.seconds / 60, 0.01, 'edge minutes');
    assert.equal(row.delivered_bytes.total, row.delivered_bytes.origin + row.delivered_bytes.edge);
    assert.equal(row.title, 'Metered, "clip"');
    // The owner is the API key that created the asset (FRAMEHOUSE_ADMIN_API_KEY's).
    const keys = (await (await fetch(`${origin.url}/v1/api-keys`, { headers: auth })).json()) as {
      data: { id: string; name: string }[];
    };
    const adminKey = keys.data.find((k) => k.name === 'FRAMEHOUSE_ADMIN_API_KEY');
    assert.ok(adminKey, 'the admin key is listed');
    assert.equal(row.owner, `key:${adminKey.id}`);
  });

  test('playback the edge cannot tie to a playback id (an encoded path, two tokens) is counted once, at the origin', async () => {
    const before = assetRow(await usage('group_by=asset'), asset.id);
    assert.ok(before);
    const master = await (await fetch(`${origin.url}/play/${pid}/master.m3u8`)).text();
    const playlistPath =
      master
        .split('\n')
        .find((l) => l.trim() && !l.startsWith('#'))
        ?.trim() ?? '';
    const folder = playlistPath.slice(0, playlistPath.lastIndexOf('/') + 1);
    const playlist = await (await fetch(`${origin.url}/play/${pid}/${playlistPath}`)).text();
    const segment =
      playlist
        .split('\n')
        .find((l) => /^seg_\d+\.m4s$/.test(l.trim()))
        ?.trim() ?? '';
    assert.ok(segment, 'a media segment');
    let bytes = 0;
    for (const path of [`${folder}${segment.replace('_', '%5F')}`, `${folder}${segment}?token=a&token=b`]) {
      const res = await fetch(`${edge.url}/play/${pid}/${path}`);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get('cache-status')?.includes('fwd=bypass'), true, path);
      bytes += (await res.arrayBuffer()).byteLength;
    }
    const total = (r: Row | undefined) => r?.delivered_bytes.total ?? 0;
    const after = await waitForValue(
      async () => assetRow(await usage('group_by=asset'), asset.id),
      (r) => total(r) - total(before) >= bytes * 0.99,
      { timeoutMs: 15_000, intervalMs: 500, what: 'the bypassed answers to be counted' },
    );
    // A flush and a report later: not counted a second time.
    await new Promise((r) => setTimeout(r, 2_500));
    const settled = assetRow(await usage('group_by=asset'), asset.id);
    near(total(settled) - total(before), bytes, 0.01, 'bypassed bytes');
    assert.ok(total(after) <= total(settled));
  });

  test('encoding minutes: the duration once per rendition, in its resolution class', async () => {
    const expected: Record<string, number> = { audio: 0, sd: 0, hd: 0, fhd: 0, uhd: 0 };
    for (const r of asset.renditions) {
      const short = r.width && r.height ? Math.min(r.width, r.height) : 0;
      const cls = !short
        ? 'audio'
        : short <= 576
          ? 'sd'
          : short <= 720
            ? 'hd'
            : short <= 1080
              ? 'fhd'
              : 'uhd';
      expected[cls] = (expected[cls] ?? 0) + asset.duration / 60;
    }
    const row = await waitForValue(
      async () => assetRow(await usage('group_by=asset'), asset.id),
      (r) => r !== undefined && (r.encoding_minutes.total ?? 0) > 0,
      { timeoutMs: 10_000, intervalMs: 300, what: 'encoding minutes' },
    );
    assert.ok(row);
    for (const [cls, minutes] of Object.entries(expected))
      near(row.encoding_minutes[cls] ?? -1, minutes, 1e-6, `encoding minutes ${cls}`);
    assert.ok(asset.renditions.length >= 2);
  });

  test('storage walks: byte-seconds per category from the levels of the previous walk', async () => {
    // The walk the worker runs every FRAMEHOUSE_USAGE_STORAGE_SAMPLE_MINUTES, run twice here on
    // the server's own database and store (a minute between walks is too long for a test).
    const db = openDatabase(`sqlite:${join(dataDir, 'framehouse.db')}`);
    const store = new LocalObjectStore(join(dataDir, 'objects'));
    try {
      await walkStorage({ db, store });
      await new Promise((r) => setTimeout(r, 1500));
      const summary = await walkStorage({ db, store });
      assert.ok(summary.bytes > 0);
    } finally {
      await db.destroy();
    }
    const row = assetRow(await usage('group_by=asset'), asset.id);
    assert.ok(row);
    for (const category of ['source', 'renditions', 'images'])
      assert.ok((row.stored_gb_hours[category] ?? 0) > 0, `${category}: ${row.stored_gb_hours[category]}`);
    assert.equal(row.stored_gb_hours.live, 0);
  });

  test('live input, live encoding and live delivery of a real RTMP publish', async (t) => {
    const res = await fetch(`${origin.url}/v1/live-streams`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Metered live' }),
    });
    assert.equal(res.status, 201);
    const stream = ((await res.json()) as { data: LiveStreamBody }).data;
    const api = async <T>(path: string) => {
      const r = await fetch(`${origin.url}${path}`, { headers: auth });
      return { status: r.status, body: (await r.json()) as T };
    };
    const seconds = 12;
    const publisher = publishRtmp(`rtmp://127.0.0.1:${rtmpPort}/live/${stream.stream_key}`, { seconds });
    // What a viewer of the live stream downloads, and the media seconds the playlist gives them.
    const watched: Tally = { bytes: 0, seconds: 0 };
    const pidLive = stream.playback_ids[0]?.id ?? '';
    const play = async (path: string) => {
      const r = await fetch(`${origin.url}/play/${pidLive}/${path}`);
      assert.equal(r.status, 200, `${path}: ${r.status}`);
      const body = Buffer.from(await r.arrayBuffer());
      watched.bytes += body.length;
      return body.toString('utf8');
    };
    try {
      await waitForStream(api, stream.id, (s) => s.status === 'active', 20_000);
      const master = await waitForValue(
        () => play('master.m3u8').catch(() => ''),
        (text) => text.includes('live/'),
        { timeoutMs: 15_000, intervalMs: 300, what: 'the live master playlist' },
      );
      const variant = master.split('\n').find((l) => l.startsWith('live/')) ?? '';
      const folder = variant.slice(0, variant.lastIndexOf('/') + 1);
      // Once two segments are listed: both, and the parts of the newest listed one.
      const playlist = await waitForValue(
        () => play(variant),
        (text) => (text.match(/^seg_\d+\.m4s$/gm) ?? []).length >= 2,
        { timeoutMs: 15_000, intervalMs: 500, what: 'two live segments' },
      );
      const lines = playlist.split('\n');
      const listed = lines.flatMap((l, i) =>
        /^seg_\d+\.m4s$/.test(l)
          ? [{ uri: l, seconds: Number(/#EXTINF:([\d.]+)/.exec(lines[i - 1] ?? '')?.[1]) }]
          : [],
      );
      for (const seg of listed.slice(0, 2)) {
        await play(`${folder}${seg.uri}`);
        watched.seconds += seg.seconds;
      }
      for (const m of [...playlist.matchAll(/#EXT-X-PART:DURATION=([\d.]+),URI="([^"]+)"/g)].slice(0, 3)) {
        await play(`${folder}${m[2]}`);
        watched.seconds += Number(m[1]);
      }
      await publisher.exited;
      await waitForStream(api, stream.id, (s) => s.status !== 'active', 20_000);
    } finally {
      await publisher.stop();
    }
    const row = await waitForValue(
      async () => assetRow(await usage('group_by=asset'), stream.id),
      // Counted in ticks while live and at the end: the last stretch lands with the next flush.
      (r) => r !== undefined && r.live_input_minutes > (seconds - 3) / 60,
      { timeoutMs: 10_000, intervalMs: 300, what: 'live input minutes' },
    );
    assert.ok(row);
    assert.equal(row.subject_kind, 'live_stream');
    // The publish ran `seconds` (ffmpeg -re -t); the node saw it from the handshake to the close.
    const minutes = row.live_input_minutes;
    t.diagnostic(
      `live input: ${minutes * 60} s counted for a ${seconds} s publish; encoding ${JSON.stringify(row.encoding_minutes)}`,
    );
    assert.ok(minutes > (seconds - 2) / 60 && minutes < (seconds + 4) / 60, `${minutes * 60} s of input`);
    assert.ok((row.encoding_minutes.total ?? 0) > 0, 'the live ladder encoded');
    // Live delivery: every playlist and media answer's bytes; the segments' and parts' seconds.
    t.diagnostic(
      `live delivery: ${row.delivered_bytes.origin} bytes / ${watched.bytes}, ${row.delivered_minutes.origin * 60} s / ${watched.seconds} s`,
    );
    near(row.delivered_bytes.origin, watched.bytes, 0.01, 'live bytes');
    near(row.delivered_minutes.origin * 60, watched.seconds, 0.01, 'live media seconds');
  });

  test('the CSV holds the same rows as the JSON; bad queries are coded errors', async () => {
    const json = await usage('group_by=asset');
    const res = await fetch(`${origin.url}/v1/usage?group_by=asset`, {
      headers: { ...auth, accept: 'text/csv' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/csv; charset=utf-8');
    assert.match(
      res.headers.get('content-disposition') ?? '',
      /^attachment; filename="usage-.+-asset\.csv"$/,
    );
    const lines = (await res.text()).trimEnd().split('\r\n');
    const head = (lines[0] ?? '').split(',');
    assert.equal(lines.length, json.data.length + 1);
    for (const row of json.data) {
      const line = lines.find((l) => l.includes(`,${row.subject_id},`));
      assert.ok(line, `a CSV line for ${row.subject_id}`);
      // Titles may hold commas and quotes: compare the figures, which come after the group columns.
      const figures = line
        .split(',')
        .slice(-(head.length - 4))
        .map(Number);
      const expected = [
        ...Object.values(row.encoding_minutes),
        ...Object.values(row.stored_gb_hours),
        ...Object.values(row.delivered_bytes),
        ...Object.values(row.delivered_minutes),
        row.live_input_minutes,
      ];
      assert.deepEqual(figures, expected);
    }
    const byDay = await usage('group_by=day&format=json');
    assert.equal(byDay.data.length, 1);
    const csvDay = await (await fetch(`${origin.url}/v1/usage?format=csv`, { headers: auth })).text();
    assert.match(csvDay, /^day,encoding_minutes_audio,/);

    for (const q of ['group_by=week', 'from=yesterday', 'from=2020-01-01&to=2026-01-01']) {
      const bad = await fetch(`${origin.url}/v1/usage?${q}`, { headers: auth });
      assert.equal(bad.status, 400, q);
      assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'FH_ERR_VALIDATION');
    }
    const anonymous = await fetch(`${origin.url}/v1/usage`);
    assert.equal(anonymous.status, 401);
    const metrics = await (await fetch(`${origin.url}/metrics`, { headers: auth })).text();
    assert.match(metrics, /framehouse_usage_flushes_total\{outcome="ok"\} [1-9]/);
    assert.match(metrics, /framehouse_usage_flushes_total\{outcome="failed"\} 0/);
  });

  test('an edge report names its hour: counted in it, no further back than 7 days', async () => {
    const HOUR = 3_600_000;
    const now = Date.now();
    const hourOf = (ms: number) => ms - (ms % HOUR);
    const iso = (ms: number) => new Date(ms).toISOString();
    const post = (hour: string, bytes: number) =>
      fetch(`${origin.url}/v1/usage/edge-reports`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({
          id: randomUUID(),
          edge: 'late-edge',
          hour,
          entries: [{ playback_id: pid, bytes, seconds: 0 }],
        }),
      });
    const edgeBytes = async (fromMs: number, toMs: number) =>
      assetRow(await usage(`group_by=asset&from=${iso(fromMs)}&to=${iso(toMs)}`), asset.id)?.delivered_bytes
        .edge ?? 0;
    const threeHoursAgo = hourOf(now) - 3 * HOUR;
    assert.equal((await post(iso(threeHoursAgo), 1111)).status, 202);
    assert.equal((await post(iso(now - 30 * 86_400_000), 2222)).status, 202);
    const bad = await post('yesterday', 1);
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'FH_ERR_VALIDATION');
    assert.equal(await edgeBytes(threeHoursAgo, threeHoursAgo + HOUR), 1111);
    const weekAgo = hourOf(now - 7 * 86_400_000);
    assert.equal(await edgeBytes(weekAgo - HOUR, weekAgo + 2 * HOUR), 2222);
  });
});
