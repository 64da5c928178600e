import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { videoSource } from '../../test/fixtures/media-info.ts';
import {
  buildRawLadderArgs,
  buildStoryboardArgs,
  buildThumbnailArgs,
  buildTranscodeArgs,
  ladderFilter,
  storyboardLayout,
  storyboardVtt,
} from './ffmpeg-args.ts';
import { ALLOWED_DEMUXERS } from './ffprobe.ts';
import { planLadder } from './ladder.ts';
import type { MediaInfo, VideoInfo } from './types.ts';

const WL = ALLOWED_DEMUXERS.join(',');
const IN = ['-protocol_whitelist', 'file', '-format_whitelist', WL, '-i', 'file:/data/src/clip.mp4'];

const source = (width: number, height: number, over: Partial<VideoInfo> = {}, audio = true): MediaInfo =>
  videoSource(width, height, over, audio, 10);

// biome-ignore format: option/value pairs
const HLS_TAIL = (out: string, map: string) => [
  '-f', 'hls',
  '-hls_time', '4',
  '-hls_playlist_type', 'event',
  '-hls_segment_type', 'fmp4',
  '-hls_flags', 'independent_segments+temp_file',
  '-hls_fmp4_init_filename', 'init.mp4',
  '-hls_segment_filename', `${out}/%v/seg_%05d.m4s`,
  '-var_stream_map', map,
  '-master_pl_name', 'master.m3u8',
  `${out}/%v/index.m3u8`,
];

describe('buildTranscodeArgs', () => {
  it('encodes two video rungs and the audio in one pass, keyframes aligned', () => {
    const info = source(1280, 720);
    const plan = planLadder(info, { maxShortSide: 720 });
    plan.video = plan.video.filter((r) => r.name !== '480p' && r.name !== '240p'); // 720p, 360p
    const args = buildTranscodeArgs({ input: '/data/src/clip.mp4', outDir: '/data/out', plan, info });
    // biome-ignore format: option/value pairs
    assert.deepEqual(args, [
      '-nostdin', '-hide_banner', '-y', '-v', 'error', '-progress', 'pipe:1', '-nostats',
      ...IN,
      '-filter_complex',
      '[0:v:0]split=2[s0][s1];[s0]scale=1280:720,setsar=1,format=yuv420p[o0];[s1]scale=640:360,setsar=1,format=yuv420p[o1]',
      '-map', '[o0]', '-map', '[o1]', '-map', '0:a:0',
      '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-crf', '23',
      '-x264-params', 'scenecut=0', '-force_key_frames', 'expr:gte(t,n_forced*2)',
      '-level:v:0', '3.1', '-maxrate:v:0', '2800k', '-bufsize:v:0', '5600k',
      '-level:v:1', '3.0', '-maxrate:v:1', '800k', '-bufsize:v:1', '1600k',
      '-c:a', 'aac', '-b:a', '128k', '-ac', '2', '-ar', '48000',
      ...HLS_TAIL('/data/out', 'v:0,agroup:aud,name:720p v:1,agroup:aud,name:360p a:0,agroup:aud,name:audio'),
    ]);
  });

  it('uses no split for one rung and no audio group without audio', () => {
    const info = source(200, 150, {}, false);
    const plan = planLadder(info);
    const args = buildTranscodeArgs({
      input: '/data/src/clip.mp4',
      outDir: '/o',
      plan,
      info,
      preset: 'ultrafast',
      segmentSeconds: 2,
      keyframeSeconds: 1,
      progress: false,
    });
    // biome-ignore format: option/value pairs
    assert.deepEqual(args, [
      '-nostdin', '-hide_banner', '-y', '-v', 'error',
      ...IN,
      '-filter_complex', '[0:v:0]scale=200:150,setsar=1,format=yuv420p[o0]',
      '-map', '[o0]',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-profile:v', 'high', '-crf', '23',
      '-x264-params', 'scenecut=0', '-force_key_frames', 'expr:gte(t,n_forced*1)',
      '-level:v:0', '3.0', '-maxrate:v:0', '117k', '-bufsize:v:0', '234k',
      ...HLS_TAIL('/o', 'v:0,name:150p').map((a) => (a === '4' ? '2' : a)),
    ]);
  });

  it('a small pass beside a big one: no loop filter in the decoder, one thread throughout', () => {
    const info = source(1920, 1080);
    const plan = planLadder(info);
    plan.video = plan.video.filter((r) => r.name === '240p');
    const args = buildTranscodeArgs({
      input: '/data/src/clip.mp4',
      outDir: '/o',
      plan,
      info,
      skipLoopFilter: true,
      singleThreaded: true,
    });
    // biome-ignore format: option/value pairs
    assert.deepEqual(args, [
      '-nostdin', '-hide_banner', '-y', '-v', 'error', '-progress', 'pipe:1', '-nostats',
      '-filter_complex_threads', '1', '-threads', '1',
      '-skip_loop_filter', 'all',
      ...IN,
      '-filter_complex', '[0:v:0]scale=426:240,setsar=1,format=yuv420p[o0]',
      '-map', '[o0]', '-map', '0:a:0',
      '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-crf', '23',
      '-x264-params', 'scenecut=0', '-force_key_frames', 'expr:gte(t,n_forced*2)',
      '-level:v:0', '3.0', '-maxrate:v:0', '400k', '-bufsize:v:0', '800k',
      '-threads:v', '1',
      '-c:a', 'aac', '-b:a', '128k', '-ac', '2', '-ar', '48000',
      ...HLS_TAIL('/o', 'v:0,agroup:aud,name:240p a:0,agroup:aud,name:audio'),
    ]);
    const plain = buildTranscodeArgs({ input: '/data/src/clip.mp4', outDir: '/o', plan, info });
    assert.deepEqual(
      plain.filter((a) => !args.includes(a)),
      [],
      'off by default: nothing the light pass does not have',
    );
    assert.equal(plain.length, args.length - 8);
  });

  it('maps only the audio for an audio-only source', () => {
    const info: MediaInfo = {
      kind: 'audio',
      container: 'mp3',
      duration: 3,
      sizeBytes: 1,
      is360: false,
      audio: { codec: 'mp3', streamIndex: 0, channels: 1, sampleRate: 44100 },
    };
    const args = buildTranscodeArgs({
      input: '/data/src/clip.mp4',
      outDir: '/o',
      plan: planLadder(info),
      info,
    });
    // biome-ignore format: option/value pairs
    assert.deepEqual(args, [
      '-nostdin', '-hide_banner', '-y', '-v', 'error', '-progress', 'pipe:1', '-nostats',
      ...IN,
      '-map', '0:a:0',
      '-c:a', 'aac', '-b:a', '128k', '-ac', '2', '-ar', '48000',
      ...HLS_TAIL('/o', 'a:0,name:audio'),
    ]);
  });

  it('picks the chosen video stream past cover art, and the raw baseline drops progress', () => {
    const info = source(640, 360, { streamIndex: 1 });
    const o = { input: '/data/src/clip.mp4', outDir: '/o', plan: planLadder(info), info };
    assert.ok(
      buildTranscodeArgs(o).includes(
        '[0:v:1]split=2[s0][s1];[s0]scale=640:360,setsar=1,format=yuv420p[o0];[s1]scale=426:240,setsar=1,format=yuv420p[o1]',
      ),
    );
    assert.deepEqual(
      buildRawLadderArgs(o),
      buildTranscodeArgs(o).filter((a) => !['-progress', 'pipe:1', '-nostats'].includes(a)),
    );
  });

  it('rejects a relative input path', () => {
    const info = source(640, 360);
    assert.throws(() =>
      buildTranscodeArgs({ input: 'clip.mp4', outDir: '/o', plan: planLadder(info), info }),
    );
  });
});

describe('ladderFilter', () => {
  it('deinterlaces, caps fps and tonemaps before the split', () => {
    const info = source(1920, 1080, { interlaced: true, fps: 120, hdr: 'pq' });
    const plan = planLadder(info, { maxShortSide: 360 });
    assert.equal(
      ladderFilter({ plan, info, tonemap: true }),
      '[0:v:0]yadif,fps=60,zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,tonemap=tonemap=hable:desat=0,zscale=t=bt709:m=bt709:r=tv,setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709,split=2[s0][s1];[s0]scale=640:360,setsar=1,format=yuv420p[o0];[s1]scale=426:240,setsar=1,format=yuv420p[o1]',
    );
    // Without zscale the HDR source is still encoded (8-bit 4:2:0), just not tonemapped.
    assert.equal(
      ladderFilter({ plan, info, tonemap: false }),
      '[0:v:0]yadif,fps=60,split=2[s0][s1];[s0]scale=640:360,setsar=1,format=yuv420p[o0];[s1]scale=426:240,setsar=1,format=yuv420p[o1]',
    );
  });
});

describe('buildThumbnailArgs', () => {
  it('seeks before the input and writes one JPEG to stdout', () => {
    // biome-ignore format: option/value pairs
    assert.deepEqual(buildThumbnailArgs({ input: '/data/src/clip.mp4', timeSeconds: 12.3, width: 320 }), [
      '-nostdin', '-hide_banner', '-y', '-v', 'error',
      '-ss', '12.3',
      ...IN,
      '-map', '0:v:0',
      '-frames:v', '1',
      '-vf', "scale=320:'max(2,trunc(ow/dar/2)*2)',setsar=1",
      '-f', 'image2', '-c:v', 'mjpeg', '-q:v', '3',
      'pipe:1',
    ]);
    const args = buildThumbnailArgs({
      input: '/data/src/clip.mp4',
      timeSeconds: 0.1 + 0.2,
      width: 160,
      videoIndex: 2,
    });
    assert.equal(args[args.indexOf('-ss') + 1], '0.3');
    assert.equal(args[args.indexOf('-map') + 1], '0:v:2');
  });
});

describe('storyboard', () => {
  it('lays out one tile per second up to 100 tiles, then widens the interval', () => {
    assert.deepEqual(storyboardLayout({ duration: 6.2, width: 1920, height: 1080 }), {
      interval: 1,
      count: 7,
      cols: 7,
      rows: 1,
      tileWidth: 160,
      tileHeight: 90,
    });
    assert.deepEqual(storyboardLayout({ duration: 3600, width: 1080, height: 1920 }), {
      interval: 36,
      count: 100,
      cols: 10,
      rows: 10,
      tileWidth: 160,
      tileHeight: 284,
    });
    assert.equal(storyboardLayout({ duration: 0.4, width: 640, height: 480 }).count, 1);
  });

  it('builds the sprite command from the layout', () => {
    const layout = storyboardLayout({ duration: 250, width: 1280, height: 720 });
    // biome-ignore format: option/value pairs
    assert.deepEqual(buildStoryboardArgs({ input: '/data/src/clip.mp4', layout, outFile: '/tmp/sb.jpg' }), [
      '-nostdin', '-hide_banner', '-y', '-v', 'error',
      ...IN,
      '-map', '0:v:0',
      '-vf', 'fps=1/3,scale=160:90,setsar=1,tile=10x9',
      '-frames:v', '1', '-update', '1',
      '-f', 'image2', '-c:v', 'mjpeg', '-q:v', '4',
      '/tmp/sb.jpg',
    ]);
    const fast = buildStoryboardArgs({
      input: '/data/src/clip.mp4',
      layout,
      outFile: '/tmp/sb.jpg',
      keyframesOnly: true,
    });
    assert.deepEqual(fast.slice(5, 8), ['-skip_frame', 'nokey', '-protocol_whitelist']);
  });

  it('writes WebVTT cues that point at each tile', () => {
    const layout = storyboardLayout({ duration: 2.5, width: 640, height: 360 });
    assert.equal(
      storyboardVtt({ ...layout, duration: 2.5, spriteUrl: 'storyboard.jpg' }),
      [
        'WEBVTT',
        '',
        '00:00:00.000 --> 00:00:01.000',
        'storyboard.jpg#xywh=0,0,160,90',
        '',
        '00:00:01.000 --> 00:00:02.000',
        'storyboard.jpg#xywh=160,0,160,90',
        '',
        '00:00:02.000 --> 00:00:02.500',
        'storyboard.jpg#xywh=320,0,160,90',
        '',
      ].join('\n'),
    );
    const long = storyboardVtt({
      duration: 3725,
      interval: 38,
      cols: 10,
      tileWidth: 160,
      tileHeight: 90,
      spriteUrl: 's.jpg',
    });
    assert.match(long, /01:02:04\.000 --> 01:02:05\.000\ns\.jpg#xywh=1280,810,160,90\n$/);
  });
});
