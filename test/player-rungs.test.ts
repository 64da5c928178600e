import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, Page } from 'playwright-core';
import { makeClip } from './fixtures/media.ts';
import {
  chromiumAvailable,
  collectErrors,
  ensureWebBuilt,
  launchChromium,
  screenshot,
} from './helpers/browser.ts';
import { type AssetBody, isFinished, startTestServer, type TestServer } from './helpers/server.ts';

/** One reading of the player, taken in the page every 50 ms. */
interface Sample {
  /** ms since the sampler started */
  at: number;
  /** currentTime of the video element shown */
  time: number;
  paused: boolean;
  /** the rung hls.js plays, by its height */
  height: number;
  /** which of the player's two video elements is shown ('a' or 'b') */
  active: string;
}

/** The pids of ffmpeg runs encoding the 480p rung (lowest-first's big pass). */
async function bigPassPids(): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const cmd = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    const [bin] = cmd.split('\0');
    if (bin?.endsWith('ffmpeg') && cmd.includes('480p')) pids.push(Number(name));
  }
  return pids;
}

/**
 * An early viewer: lowest-first (forced here, so the lowest rung is all there is when the asset
 * turns ready), playback starting the moment it does, the higher rungs landing while it plays.
 */
describe('early viewers get the higher rungs as they land', { skip: !chromiumAvailable() }, () => {
  let server: TestServer;
  let browser: Browser;
  let dir: string;
  let ready!: AssetBody;
  /** What a player we do not control sees from ready on: the master and the 480p playlist. */
  const seen: Array<{ at: number; master: string; rung: string | null }> = [];
  let watching!: Promise<void>;
  const held: number[] = [];
  let released = false;
  let holding: Promise<void> = Promise.resolve();
  const release = async () => {
    released = true;
    await holding;
    for (const pid of held.splice(0)) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // already gone
      }
    }
  };

  before(async () => {
    ensureWebBuilt();
    dir = await mkdtemp(join(tmpdir(), 'fh-rungs-'));
    server = await startTestServer({ FRAMEHOUSE_LADDER_STRATEGY: 'lowest-first' });
    browser = await launchChromium();
    // 480p source: the ladder is 480p, 360p and 240p; the first pass is 240p and the audio.
    const clip = await makeClip(dir, { name: 'early', width: 854, height: 480, seconds: 60, fps: 30 });
    const created = await server.upload(clip, 'Early viewer');
    // The big pass is held (SIGSTOP) from its start until the viewer plays: on a busy machine it
    // could otherwise be listed before the page loads, and the player would start on it.
    holding = (async () => {
      while (held.length === 0 && !released) {
        for (const pid of await bigPassPids()) {
          process.kill(pid, 'SIGSTOP');
          held.push(pid);
        }
        await sleep(20);
      }
    })();
    ready = await server.waitForAsset(
      created.id,
      (a) => a.status !== 'waiting' && a.status !== 'processing',
      120_000,
    );
    assert.equal(ready.status, 'ready');
    watching = (async () => {
      for (;;) {
        const at = Date.now();
        const master = (await server.api<string>(ready.playback.hls)).body;
        const rung = await server.api<string>(ready.playback.hls.replace('master.m3u8', '480p/index.m3u8'));
        const text = rung.status === 200 ? rung.body : null;
        seen.push({ at, master, rung: text });
        if (text?.includes('#EXT-X-ENDLIST') && master.includes('854x480')) return;
        await sleep(250);
      }
    })();
  });
  after(async () => {
    await release();
    await browser?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('a viewer starting at ready moves up from 240p, at its position, without a stall', async () => {
    assert.ok(
      ready.renditions.some((r) => r.name === '480p' && r.status !== 'ready'),
      'playable before the higher rungs are done',
    );
    const context = await browser.newContext({ baseURL: server.url, viewport: { width: 1280, height: 720 } });
    const page = await context.newPage();
    const errors = collectErrors(page);
    await page.goto(`/embed/${ready.playback_ids[0]?.id}?autoplay=1`);
    await page.locator('.player[data-playing=true]').waitFor({ timeout: 30_000 });
    await startSampler(page);
    assert.ok(held.length > 0, 'the big pass was held until the viewer played');
    await release();

    // Plays on while the other pass encodes; the ladder finishes; the player takes it up.
    const done = await server.waitForAsset(ready.id, isFinished, 240_000);
    assert.equal(done.status, 'ready');
    const finishedAt = await elapsed(page);
    const deadline = Date.now() + 60_000;
    while (Number(await page.locator('.player').getAttribute('data-height')) <= 240) {
      if (Date.now() > deadline) break;
      await sleep(200);
    }
    await sleep(3000); // and on for a while after the switch
    const samples = await page.evaluate<Sample[]>('window.fhSamples');
    const waiting = await page.evaluate<number[]>('window.fhWaiting');
    await screenshot(page, 'player-rungs-after');
    await context.close();

    const first = samples.find((s) => s.height > 0);
    const upAt = samples.findIndex((s) => s.height > 240);
    const up = samples[upAt];
    assert.ok(first);
    assert.equal(first.height, 240, 'at ready the lowest rung is all there is');
    assert.ok(up, `still on 240p ${Math.round((samples.at(-1)?.at ?? 0) / 1000)} s into playback`);
    const swapAt = samples.findIndex((s, i) => i > 0 && s.active !== samples[i - 1]?.active);
    assert.ok(swapAt > 0, 'a second element took over');

    // Around the switch: the picture never freezes noticeably, and the position carries on.
    const around = samples.filter((s) => Math.abs(s.at - (samples[swapAt]?.at ?? 0)) <= 3000);
    const freeze = longestFreeze(around);
    const beforeSwap = samples[swapAt - 1];
    const afterSwap = samples[swapAt];
    assert.ok(beforeSwap && afterSwap);
    const jump = afterSwap.time - beforeSwap.time - (afterSwap.at - beforeSwap.at) / 1000;
    const waitingNear = waiting.filter((at) => Math.abs(at - (samples[swapAt]?.at ?? 0)) <= 3000);
    const report =
      `rung at ready: ${first.height}p; ${up.height}p from ${(up.at / 1000).toFixed(1)} s into playback ` +
      `(media ${up.time.toFixed(1)} s; ladder done at ${(finishedAt / 1000).toFixed(1)} s); longest freeze ` +
      `within 3 s of the switch ${Math.round(freeze * 1000)} ms, position jump ${Math.round(jump * 1000)} ms, ` +
      `waiting events there: ${waitingNear.length}; longest freeze over the session ${Math.round(longestFreeze(samples) * 1000)} ms`;
    process.stdout.write(`${report}\n`);
    assert.ok(freeze < 0.5, report);
    assert.ok(Math.abs(jump) < 0.5, report);
    assert.deepEqual(errors, []);
  });

  test('players we do not control: the master lists a rung while it is encoded, once a viewer starting then cannot catch up', async () => {
    await watching;
    const listed = seen.findIndex((s) => s.master.includes('RESOLUTION=854x480'));
    const first = seen[listed];
    assert.ok(first?.rung, 'the 480p rung was listed');
    // Listed while still encoded: an EVENT playlist without its end, played from the start.
    assert.match(first.master, /#EXT-X-START:TIME-OFFSET=0/);
    assert.match(first.rung, /#EXT-X-PLAYLIST-TYPE:EVENT\n#EXT-X-START:TIME-OFFSET=0/);
    assert.doesNotMatch(first.rung, /#EXT-X-ENDLIST/, 'listed before it was complete');
    // A viewer who loaded the master then, at position (now − then), always finds the rung published
    // beyond it: it never catches up with the encoder.
    const published = (rung: string | null) =>
      [...(rung ?? '').matchAll(/#EXTINF:([\d.]+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
    const duration = published(seen.at(-1)?.rung ?? null);
    let margin = Number.POSITIVE_INFINITY;
    for (const s of seen.slice(listed)) {
      const position = (s.at - first.at) / 1000;
      if (position >= duration) break;
      margin = Math.min(margin, published(s.rung) - position);
    }
    process.stdout.write(
      `480p listed ${((first.at - (seen[0]?.at ?? 0)) / 1000).toFixed(1)} s after ready with ` +
        `${published(first.rung).toFixed(0)} s of ${duration.toFixed(0)} s published; a viewer starting then ` +
        `stays at least ${margin.toFixed(1)} s behind the published end\n`,
    );
    assert.ok(margin > 0, `a viewer starting at the listing would have caught up (margin ${margin} s)`);
    assert.match(
      seen.at(-1)?.master ?? '',
      /^(?![\s\S]*EXT-X-START)/,
      'once complete, a plain on-demand master',
    );
  });
});

/**
 * Records, every 50 ms, the shown video's time, the rung and which element shows it, and the
 * 'waiting' events of the shown element. In the page's own words (a string: the test is not
 * compiled with the DOM's types); media events do not bubble, but they pass the document.
 */
const SAMPLER = `(() => {
  window.fhSamples = [];
  window.fhWaiting = [];
  window.fhStart = performance.now();
  const shown = () => document.querySelector('video[data-active=true]');
  document.addEventListener('waiting', (e) => {
    if (e.target === shown()) window.fhWaiting.push(performance.now() - window.fhStart);
  }, true);
  setInterval(() => {
    const v = shown();
    window.fhSamples.push({
      at: performance.now() - window.fhStart,
      time: v ? v.currentTime : 0,
      paused: v ? v.paused : true,
      height: Number(document.querySelector('.player').dataset.height || 0),
      active: v ? v.dataset.slot : '',
    });
  }, 50);
})()`;

const startSampler = (page: Page) => page.evaluate(SAMPLER);
const elapsed = (page: Page) => page.evaluate<number>('performance.now() - window.fhStart');

/** The longest stretch (seconds) in which the shown video's time stood still while it was meant to play. */
function longestFreeze(samples: Sample[]): number {
  let longest = 0;
  let since: Sample | null = null;
  for (let i = 1; i < samples.length; i++) {
    const [a, b] = [samples[i - 1] as Sample, samples[i] as Sample];
    if (b.paused || b.time > a.time + 0.001) {
      if (since) longest = Math.max(longest, (a.at - since.at) / 1000 + 0.05);
      since = null;
    } else since ??= a;
  }
  return longest;
}
