import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser } from 'playwright-core';
import { runProcess } from '../src/media/process.ts';
import { FFMPEG } from './fixtures/media.ts';
import {
  chromiumAvailable,
  collectErrors,
  ensureWebBuilt,
  launchChromium,
  screenshot,
  waitForPlayback,
} from './helpers/browser.ts';
import { isFinished, startTestServer, type TestServer } from './helpers/server.ts';

/** When the picture turns white, in seconds of the source: the moment the cue below is written for. */
const FLASH_AT = 2;

/** A 6 s clip, black until FLASH_AT and white after, with a tone: a frame tells its own time. */
async function makeFlashClip(dir: string): Promise<string> {
  const file = join(dir, 'flash.mp4');
  // biome-ignore format: option/value pairs read best side by side
  const r = await runProcess(FFMPEG, [
    '-nostdin', '-v', 'error', '-y',
    '-f', 'lavfi', '-i', 'color=c=black:s=640x360:r=25:d=6',
    '-f', 'lavfi', '-i', 'sine=f=440:r=48000:d=6',
    '-vf', `drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='gte(t,${FLASH_AT})'`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', file,
  ], { timeoutMs: 60_000 });
  assert.equal(r.exitCode, 0, r.stderrTail);
  return file;
}

const ENGLISH = `WEBVTT\n\n00:00:0${FLASH_AT}.000 --> 00:00:03.500\nThe light comes on\n`;
const KOREAN = '1\r\n00:00:00,200 --> 00:00:01,500\r\n어둠 속에서\r\n';

/**
 * In the page: the media time of the first white frame (read back from a canvas, frame by frame)
 * and, for the English text track, the cue that became active and the clock when it did. A
 * string, as the tests' TypeScript has no DOM types.
 */
const WATCH = `(() => {
  const video = document.querySelector('video');
  const canvas = document.createElement('canvas');
  canvas.width = 8;
  canvas.height = 8;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const onFrame = (_now, meta) => {
    ctx.drawImage(video, 0, 0, 8, 8);
    if (ctx.getImageData(4, 4, 1, 1).data[0] > 128 && window.whiteAt === undefined) window.whiteAt = meta.mediaTime;
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
  const follow = (track) => {
    if (track.label !== 'English') return;
    track.addEventListener('cuechange', () => {
      const cue = track.activeCues && track.activeCues[0];
      if (cue && window.active === undefined) {
        window.active = { text: cue.text, start: cue.startTime, end: cue.endTime, at: video.currentTime };
      }
    });
  };
  for (const t of Array.from(video.textTracks)) follow(t);
  video.textTracks.addEventListener('addtrack', (e) => follow(e.track));
})()`;

const SEEN = `({
  whiteAt: window.whiteAt,
  active: window.active,
  tracks: Array.from(document.querySelector('video').textTracks).map((t) => ({ label: t.label, language: t.language, mode: t.mode })),
})`;

interface Seen {
  whiteAt?: number;
  active?: { text: string; start: number; end: number; at: number };
  tracks: { label: string; language: string; mode: string }[];
}

describe('captions in the player (Chromium)', { skip: !chromiumAvailable() }, () => {
  let server: TestServer;
  let browser: Browser;
  let dir: string;

  before(async () => {
    ensureWebBuilt();
    dir = await mkdtemp(join(tmpdir(), 'fh-captions-web-'));
    server = await startTestServer();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('hls.js lists the tracks by name, turns on the default, and a cue shows with the frame it was timed for', async (t) => {
    const uploaded = await server.upload(await makeFlashClip(dir), 'Lights on');
    const asset = await server.waitForAsset(uploaded.id, isFinished);
    assert.equal(asset.status, 'ready');
    for (const [file, fields] of [
      [KOREAN, { language: 'ko', default: 'true' }],
      [ENGLISH, { language: 'en', name: 'English' }],
    ] as const) {
      const form = new FormData();
      for (const [k, v] of Object.entries(fields)) form.append(k, v);
      form.append('file', new Blob([file]), 'track');
      assert.equal(
        (await server.api(`/v1/assets/${asset.id}/tracks`, { method: 'POST', body: form })).status,
        201,
      );
    }

    const page = await browser.newPage({ baseURL: server.url, viewport: { width: 960, height: 600 } });
    const errors = collectErrors(page);
    await page.goto(`/embed/${asset.playback_ids[0]?.id}`);
    const menu = page.getByLabel('Captions');
    await menu.waitFor();
    assert.deepEqual(await menu.locator('option').allTextContents(), ['Captions off', '한국어', 'English']);
    // The Korean track is DEFAULT=YES: hls.js shows it, and the menu says so.
    for (let i = 0; i < 100 && (await menu.inputValue()) !== '0'; i++) await sleep(100);
    assert.equal(await menu.inputValue(), '0');
    await page.evaluate(WATCH);

    await menu.selectOption({ label: 'English' });
    await page.getByRole('button', { name: 'Play (k)' }).click();
    await waitForPlayback(page, FLASH_AT + 1);
    const seen = await page.evaluate<Seen>(SEEN);
    await screenshot(page, 'captions-english');

    assert.deepEqual(
      seen.tracks.map((t) => [t.label, t.language]),
      [
        ['한국어', 'ko'],
        ['English', 'en'],
      ],
    );
    assert.equal(seen.tracks.find((t) => t.label === 'English')?.mode, 'showing');
    assert.ok(seen.active, 'the English cue became active');
    assert.equal(seen.active.text, 'The light comes on');
    assert.ok(typeof seen.whiteAt === 'number', 'the white frame was seen');
    const { start, end, at } = seen.active;
    t.diagnostic(`white frame at ${seen.whiteAt} s; cue active ${start}–${end} s, at ${at} s`);
    // The cue starts on the very frame it was written for (one frame lasts 40 ms) …
    assert.ok(Math.abs(start - seen.whiteAt) < 0.02, `cue at ${start} s, white frame at ${seen.whiteAt} s`);
    // … and became active when the clock reached it.
    assert.ok(at >= start - 0.05 && at < start + 0.5, `active at ${at} s for a cue at ${start} s`);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
