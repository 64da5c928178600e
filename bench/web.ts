/**
 * `npm run bench:web [-- --runs N]`
 *
 * Issue 6's figures: time from navigation to the first video frame on `/embed/{id}` for a ready
 * asset, in Debian's Chromium on this machine (median of N fresh browser contexts, nothing
 * cached), beside the same measurement for a bare page of raw hls.js and a <video> playing the
 * same stream from the same server — the ratio is what Framehouse's page adds — and the player
 * page's download size against its budget.
 */
import { execFileSync } from 'node:child_process';
import { openAsBlob, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { loadConfig } from '../src/config/config.ts';
import { startServer } from '../src/server.ts';
import { PLAYER_BUDGET_GZIP_BYTES, playerPageWeight, VR_BUDGET_GZIP_BYTES } from '../src/web/page-weight.ts';
import { WEB_DIST } from '../src/web/web.routes.ts';
import { ensureClip } from './clip.ts';
import { fmt, markdownTable, textTable } from './table.ts';
import { median } from './util.ts';

const { values: flags } = parseArgs({ options: { runs: { type: 'string', default: '10' } } });
const runs = Number(flags.runs);
const log = (s: string) => process.stderr.write(`${s}\n`);
const root = fileURLToPath(new URL('..', import.meta.url));
const benchDir = join(root, '.bench');
await mkdir(benchDir, { recursive: true });

// The app as served.
execFileSync(process.execPath, ['scripts/build-web-if-stale.ts'], { cwd: root, stdio: 'inherit' });

const dataDir = await mkdtemp(join(benchDir, 'web-'));
const server = await startServer(
  loadConfig({ FRAMEHOUSE_LOG_LEVEL: 'silent' }, { port: 0, host: '127.0.0.1', dataDir }),
);
const base = server.url ?? '';
log(`server ${base}; a 10 s 1080p clip, transcoding…`);
const clip = await ensureClip(benchDir, 10);
const form = new FormData();
form.append('file', await openAsBlob(clip), 'clip.mp4');
const created = (await (await fetch(`${base}/v1/assets`, { method: 'POST', body: form })).json()) as {
  data: { id: string; playback_ids: Array<{ id: string }> };
};
for (;;) {
  const a = (await (await fetch(`${base}/v1/assets/${created.data.id}`)).json()) as {
    data: { status: string; progress: number };
  };
  if (a.data.status === 'errored') throw new Error('the bench clip failed to process');
  if (a.data.status === 'ready' && a.data.progress === 1) break;
  await new Promise((r) => setTimeout(r, 250));
}
const playbackId = created.data.playback_ids[0]?.id ?? '';

// The raw side: hls.js's own build and a <video>, nothing else, from a server of its own.
const hlsJs = readFileSync(join(root, 'node_modules', 'hls.js', 'dist', 'hls.min.js'));
const bare = `<!doctype html><meta charset="utf-8"><video muted playsinline style="width:100%"></video>
<script src="/hls.min.js"></script><script>
const v = document.querySelector('video');
v.requestVideoFrameCallback(() => { document.body.dataset.firstFrameMs = Math.round(performance.now()); });
const h = new Hls(); h.loadSource(${JSON.stringify(`${base}/play/${playbackId}/master.m3u8`)}); h.attachMedia(v);
h.on(Hls.Events.MANIFEST_PARSED, () => v.play());
</script>`;
const rawServer = createServer((req, res) => {
  if (req.url === '/hls.min.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(hlsJs);
  else res.writeHead(200, { 'content-type': 'text/html' }).end(bare);
});
await new Promise<void>((r) => rawServer.listen(0, '127.0.0.1', r));
const rawUrl = `http://127.0.0.1:${(rawServer.address() as { port: number }).port}/`;

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
    '--autoplay-policy=no-user-gesture-required',
  ],
});
/** Navigation start → first frame presented, as the page itself measured it (performance.now()). */
async function firstFrame(url: string, marker: string): Promise<number> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  await page.goto(url);
  const deadline = Date.now() + 30_000;
  let ms: string | null = null;
  while (!ms && Date.now() < deadline) {
    ms = await page.locator(marker).first().getAttribute('data-first-frame-ms');
    if (!ms) await new Promise((r) => setTimeout(r, 20));
  }
  await context.close();
  if (!ms) throw new Error(`no first frame on ${url}`);
  return Number(ms);
}

const ours: number[] = [];
const raw: number[] = [];
for (let i = 0; i < runs; i++) {
  // Alternating, so drift in the machine's load hits both alike.
  raw.push(await firstFrame(rawUrl, 'body'));
  ours.push(await firstFrame(`${base}/embed/${playbackId}?autoplay=1`, '.player'));
  log(`run ${i + 1}/${runs}: embed ${ours.at(-1)} ms, raw hls.js ${raw.at(-1)} ms`);
}
await browser.close();
rawServer.close();
await server.close();
await rm(dataDir, { recursive: true, force: true });

const flat = playerPageWeight(WEB_DIST);
const vr = playerPageWeight(WEB_DIST, true);
const kb = (n: number) => `${(n / 1024).toFixed(0)} kB`;
const table = {
  head: ['measure', 'Framehouse', 'raw hls.js page', 'ratio / budget'],
  rows: [
    [
      `first frame on /embed (median of ${runs})`,
      `${fmt(median(ours), 0)} ms`,
      `${fmt(median(raw), 0)} ms`,
      `${fmt(median(ours) / median(raw))}×`,
    ],
    [
      'player page, gzip (raw)',
      `${kb(flat.gzipBytes)} (${kb(flat.bytes)})`,
      `${kb(gzipSync(hlsJs, { level: 9 }).length)} (${kb(hlsJs.length)})`,
      `budget ${kb(PLAYER_BUDGET_GZIP_BYTES)}`,
    ],
    ['+ 360° view, gzip', `+${kb(vr.gzipBytes - flat.gzipBytes)}`, '', `budget +${kb(VR_BUDGET_GZIP_BYTES)}`],
  ],
};
process.stdout.write(`\n${textTable(table)}\n\n${markdownTable(table)}\n`);
