import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { liveTranscodeArgs, webrtcRung } from './live-ffmpeg-args.ts';
import { type LiveSource, planLiveLadder } from './live-ladder.ts';

const source = (over: Partial<LiveSource> = {}): LiveSource => ({
  width: 1280,
  height: 720,
  fps: 30,
  videoBitrate: 2_500_000,
  keyframeIntervalMs: null,
  hasAudio: true,
  videoCodec: 'h264',
  audioCodec: 'aac',
  ...over,
});

// biome-ignore format: option/value pairs
const HEAD = (probesize: string, analyze: string, format: string) => [
  '-hide_banner', '-nostdin', '-loglevel', 'warning', '-nostats',
  '-progress', 'pipe:1', '-stats_period', '0.5',
  '-probesize', probesize, '-analyzeduration', analyze,
  '-f', format, '-i', 'pipe:0',
];
// biome-ignore format: option/value pairs
const FMP4 = (fd: number) => [
  '-f', 'mp4',
  '-movflags', '+frag_keyframe+empty_moov+default_base_moof+cmaf',
  '-frag_duration', '333333',
  '-write_prft', 'wallclock',
  '-flush_packets', '1',
  `pipe:${fd}`,
];

describe('liveTranscodeArgs', () => {
  it('decodes once, encodes every rung with a fixed 2 s GOP, each rung to its own pipe', () => {
    const rungs = planLiveLadder(source(), { maxRungs: 2, segmentSeconds: 2 });
    const args = liveTranscodeArgs({ format: 'flv' }, rungs, { preset: 'veryfast' });
    // biome-ignore format: option/value pairs
    assert.deepEqual(args, [
      ...HEAD('256000', '500000', 'flv'),
      '-filter_complex',
      '[0:v:0]split=2[s0][s1];[s0]scale=1280:720,format=yuv420p[v0];[s1]scale=640:360,format=yuv420p[v1]',
      '-map', '[v0]',
      '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency',
      '-profile:v', 'high', '-level:v', '3.1',
      '-bf', '0', '-g', '60', '-keyint_min', '60', '-sc_threshold', '0',
      '-force_key_frames', 'expr:gte(t,n_forced*2)',
      '-b:v', '3000k', '-maxrate', '3000k', '-bufsize', '3000k',
      '-fps_mode', 'passthrough',
      '-map', '0:a:0?', '-c:a', 'copy',
      ...FMP4(3),
      '-map', '[v1]',
      '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency',
      '-profile:v', 'high', '-level:v', '3.0',
      '-bf', '0', '-g', '60', '-keyint_min', '60', '-sc_threshold', '0',
      '-force_key_frames', 'expr:gte(t,n_forced*2)',
      '-b:v', '900k', '-maxrate', '900k', '-bufsize', '900k',
      '-fps_mode', 'passthrough',
      '-map', '0:a:0?', '-c:a', 'copy',
      ...FMP4(4),
    ]);
    assert.ok(!args.includes('nobuffer'), 'nobuffer drops the probed packets: the first GOP');
  });

  it('copies the source as the top rung and puts the encoded keyframes where the source has them', () => {
    const rungs = planLiveLadder(source({ keyframeIntervalMs: 2000 }), { maxRungs: 2, segmentSeconds: 2 });
    const args = liveTranscodeArgs({ format: 'flv' }, rungs, { sourceKeyframeIntervalMs: 2000 }); // superfast: the default
    // biome-ignore format: option/value pairs
    assert.deepEqual(args, [
      ...HEAD('256000', '500000', 'flv'),
      '-filter_complex', '[0:v:0]scale=640:360,format=yuv420p[v0]',
      '-map', '0:v:0', '-c:v', 'copy',
      '-fps_mode', 'passthrough',
      '-map', '0:a:0?', '-c:a', 'copy',
      ...FMP4(3),
      '-map', '[v0]',
      '-c:v', 'libx264', '-preset', 'superfast', '-tune', 'zerolatency',
      '-profile:v', 'high', '-level:v', '3.0',
      // x264's own interval twice the source's: a backstop that never fires on a regular source
      '-bf', '0', '-g', '120', '-keyint_min', '120', '-sc_threshold', '0',
      '-force_key_frames', 'source',
      '-b:v', '900k', '-maxrate', '900k', '-bufsize', '900k',
      '-fps_mode', 'passthrough',
      '-map', '0:a:0?', '-c:a', 'copy',
      ...FMP4(4),
    ]);
  });

  it('WebRTC: the best encoded rung also goes to RTP through tee, the audio as Opus RTP; a copied rung never does', () => {
    const rungs = planLiveLadder(source({ keyframeIntervalMs: 2000 }), { maxRungs: 3, segmentSeconds: 2 });
    // 720p copied, 480p and 360p encoded: WebRTC takes the biggest encoded one.
    assert.deepEqual(
      rungs.map((r) => [r.name, r.copy]),
      [
        ['720p', true],
        ['480p', false],
        ['360p', false],
      ],
    );
    const rung = webrtcRung(rungs);
    assert.equal(rung?.name, '480p');
    const args = liveTranscodeArgs({ format: 'flv' }, rungs, {
      sourceKeyframeIntervalMs: 2000,
      rtp: { rung: '480p', videoPort: 50000, audioPort: 50002 },
    });
    const plain = liveTranscodeArgs({ format: 'flv' }, rungs, { sourceKeyframeIntervalMs: 2000 });
    // The copied rung and the other encoded rung are untouched.
    const start480 = plain.lastIndexOf('-f', plain.indexOf('pipe:4'));
    assert.deepEqual(args.slice(0, start480), plain.slice(0, start480));
    // biome-ignore format: option/value pairs
    assert.deepEqual(args.slice(start480, args.indexOf('[v1]') - 1), [
      '-flags:v', '+global_header',
      '-f', 'tee',
      '[f=mp4:movflags=+frag_keyframe+empty_moov+default_base_moof+cmaf:frag_duration=333333:write_prft=wallclock:flush_packets=1]pipe:4' +
        '|[f=rtp:select=v:onfail=ignore:bsfs/v=dump_extra]rtp://127.0.0.1:50000?rtcpport=50000&pkt_size=1200',
    ]);
    assert.deepEqual(
      args.slice(args.indexOf('pipe:5') - FMP4(5).length + 1, args.indexOf('pipe:5') + 1),
      FMP4(5),
    );
    // biome-ignore format: option/value pairs
    assert.deepEqual(args.slice(args.indexOf('pipe:5') + 1), [
      '-map', '0:a:0',
      '-c:a', 'libopus', '-b:a', '96k', '-ac', '2', '-ar', '48000',
      '-application', 'lowdelay', '-frame_duration', '20',
      '-f', 'tee', '[f=rtp:onfail=ignore]rtp://127.0.0.1:50002?rtcpport=50002&pkt_size=1200',
    ]);
    // From SRT (MPEG-TS: ADTS audio), the teed rung's audio is encoded, not copied: a tee slave
    // writes its mp4 header before aac_adtstoasc has produced the AudioSpecificConfig. The other
    // rungs still copy it.
    const fromTs = liveTranscodeArgs({ format: 'mpegts' }, rungs, {
      sourceKeyframeIntervalMs: 2000,
      rtp: { rung: '480p', videoPort: 50000, audioPort: 50002 },
    });
    const teed = fromTs.slice(fromTs.indexOf('pipe:3'), fromTs.indexOf('tee'));
    assert.deepEqual(teed.slice(teed.indexOf('-c:a'), teed.indexOf('-c:a') + 2), ['-c:a', 'aac']);
    const copied = fromTs.slice(0, fromTs.indexOf('pipe:3'));
    assert.deepEqual(copied.slice(copied.indexOf('-c:a'), copied.indexOf('-c:a') + 4), [
      '-c:a',
      'copy',
      '-bsf:a',
      'aac_adtstoasc',
    ]);
    // No audio: no Opus output (an output without streams would stop ffmpeg).
    const mute = liveTranscodeArgs({ format: 'flv' }, rungs, {
      sourceKeyframeIntervalMs: 2000,
      rtp: { rung: '480p', videoPort: 50000, audioPort: null },
    });
    assert.ok(!mute.includes('libopus'));
    // Only a copied rung: nothing WebRTC can carry, and asking for it is a bug.
    const copyOnly = planLiveLadder(source({ keyframeIntervalMs: 2000 }), { maxRungs: 1, segmentSeconds: 2 });
    assert.equal(webrtcRung(copyOnly), null);
    assert.throws(() =>
      liveTranscodeArgs({ format: 'flv' }, copyOnly, {
        rtp: { rung: '720p', videoPort: 1, audioPort: null },
      }),
    );
  });

  it('encodes non-AAC audio, probes MPEG-TS longer, and leaves audio out of a silent source', () => {
    const mp3 = planLiveLadder(source({ audioCodec: 'mp3', fps: 25 }), { maxRungs: 1, segmentSeconds: 2 });
    const args = liveTranscodeArgs({ format: 'mpegts' }, mp3);
    assert.deepEqual(args.slice(0, HEAD('', '', '').length), HEAD('1000000', '1000000', 'mpegts'));
    assert.deepEqual(args.slice(args.indexOf('-c:a'), args.indexOf('-c:a') + 8), [
      '-c:a',
      'aac',
      '-b:a',
      '128k',
      '-ac',
      '2',
      '-ar',
      '48000',
    ]);
    assert.equal(args[args.indexOf('-g') + 1], '50'); // 2 s at 25 fps
    const aacOverTs = liveTranscodeArgs(
      { format: 'mpegts' },
      planLiveLadder(source(), { maxRungs: 1, segmentSeconds: 2 }),
    );
    assert.deepEqual(aacOverTs.slice(aacOverTs.indexOf('-c:a'), aacOverTs.indexOf('-c:a') + 4), [
      '-c:a',
      'copy',
      '-bsf:a',
      'aac_adtstoasc',
    ]);
    const aacOverFlv = liveTranscodeArgs(
      { format: 'flv' },
      planLiveLadder(source(), { maxRungs: 1, segmentSeconds: 2 }),
    );
    assert.ok(!aacOverFlv.includes('-bsf:a'), 'FLV carries raw AAC already');
    const silent = planLiveLadder(source({ hasAudio: false, audioCodec: null }), {
      maxRungs: 2,
      segmentSeconds: 2,
    });
    assert.ok(!liveTranscodeArgs({ format: 'flv' }, silent).includes('0:a:0?'));
  });
});
