import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { videoSource } from '../../test/fixtures/media-info.ts';
import { planLadder } from '../media/ladder.ts';
import type { MediaInfo } from '../media/types.ts';
import { renditionRows } from '../pipeline/renditions.ts';
import { downloadTarget, parseMp4Support, type RenditionSummary } from './download-target.ts';

/** The rendition rows the pipeline makes for a source, every one in the given state. */
const ladderOf = (info: MediaInfo, status: RenditionSummary['status'] = 'ready') =>
  renditionRows(planLadder(info), '2026-01-01T00:00:00.000Z').map((r) => ({ ...r, status }));

const pick = (t: ReturnType<typeof downloadTarget>) => t && [t.name, t.width, t.height, t.video, t.audio];

describe('downloadTarget', () => {
  it('standard takes the highest rung, capped-1080p the highest with a short side of at most 1080', () => {
    const uhd = ladderOf(videoSource(3840, 2160));
    assert.deepEqual(pick(downloadTarget('standard', uhd)), ['2160p.mp4', 3840, 2160, '2160p', 'audio']);
    assert.deepEqual(pick(downloadTarget('capped-1080p', uhd)), ['1080p.mp4', 1920, 1080, '1080p', 'audio']);
    // Portrait: 1080×1920 is the 1080p rung (short side), 1440×2560 is over the cap.
    const portrait = ladderOf(videoSource(1440, 2560));
    assert.deepEqual(pick(downloadTarget('standard', portrait)), ['1440p.mp4', 1440, 2560, '1440p', 'audio']);
    assert.deepEqual(pick(downloadTarget('capped-1080p', portrait)), [
      '1080p.mp4',
      1080,
      1920,
      '1080p',
      'audio',
    ]);
    // A source below the cap: both give its top rung.
    const hd = ladderOf(videoSource(1280, 720));
    assert.deepEqual(pick(downloadTarget('capped-1080p', hd)), pick(downloadTarget('standard', hd)));
    assert.equal(downloadTarget('capped-1080p', hd)?.name, '720p.mp4');
    // Ultra-wide 360° (5760×2880): the top rung is shrunk to 4096 wide, 1080p stays 2160×1080.
    const wide = ladderOf(videoSource(5760, 2880));
    assert.deepEqual(pick(downloadTarget('standard', wide)), ['2048p.mp4', 4096, 2048, '2048p', 'audio']);
    assert.deepEqual(pick(downloadTarget('capped-1080p', wide)), ['1080p.mp4', 2160, 1080, '1080p', 'audio']);
  });

  it('is ready once the rung and the audio are', () => {
    const rows = ladderOf(videoSource(1280, 720), 'processing');
    assert.equal(downloadTarget('standard', rows)?.ready, false);
    const rungOnly = rows.map((r) => (r.name === '720p' ? { ...r, status: 'ready' as const } : r));
    assert.equal(downloadTarget('standard', rungOnly)?.ready, false, 'the audio is still being encoded');
    const lowestReady = rows.map((r) => (r.name !== '720p' ? { ...r, status: 'ready' as const } : r));
    assert.equal(downloadTarget('standard', lowestReady)?.ready, false, 'lowest-first: only the low rungs');
    assert.equal(downloadTarget('standard', ladderOf(videoSource(1280, 720)))?.ready, true);
  });

  it('gives video without sound a video-only MP4, and audio-only assets audio.m4a', () => {
    const silent = ladderOf(videoSource(640, 360, {}, false));
    assert.deepEqual(pick(downloadTarget('standard', silent)), ['360p.mp4', 640, 360, '360p', null]);
    const { video: _none, ...audioOnly } = { ...videoSource(2, 2), kind: 'audio' as const };
    for (const m of ['standard', 'capped-1080p'] as const) {
      const t = downloadTarget(m, ladderOf(audioOnly));
      assert.deepEqual(
        [t?.name, t?.ext, t?.video, t?.audio, t?.ready],
        ['audio.m4a', 'm4a', null, 'audio', true],
      );
    }
  });

  it('offers nothing for none, for an asset without a ladder, or with no rung under the cap', () => {
    assert.equal(downloadTarget('none', ladderOf(videoSource(1280, 720))), null);
    assert.equal(downloadTarget('standard', []), null);
    const onlyBig: RenditionSummary[] = [
      { name: '1440p', type: 'video', width: 2560, height: 1440, status: 'ready' },
      { name: 'audio', type: 'audio', width: null, height: null, status: 'ready' },
    ];
    assert.equal(downloadTarget('capped-1080p', onlyBig), null);
  });
});

describe('parseMp4Support', () => {
  it('takes the three values (and nothing as none), refuses anything else with a code', () => {
    assert.equal(parseMp4Support('standard'), 'standard');
    assert.equal(parseMp4Support(' capped-1080p '), 'capped-1080p');
    assert.equal(parseMp4Support(undefined), 'none');
    assert.equal(parseMp4Support(''), 'none');
    assert.throws(
      () => parseMp4Support('capped-720p'),
      (e: Error & { code?: string }) =>
        e.code === 'FH_ERR_VALIDATION' && /none, standard, capped-1080p/.test(e.message),
    );
  });
});
