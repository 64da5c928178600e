import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALLOWED_DEMUXERS } from './ffprobe.ts';
import { buildMp4RemuxArgs } from './remux-args.ts';

const WL = ALLOWED_DEMUXERS.join(',');
const input = (path: string) => [
  '-protocol_whitelist',
  'file',
  '-format_whitelist',
  WL,
  '-i',
  `file:${path}`,
];
const HEAD = ['-nostdin', '-hide_banner', '-y', '-v', 'error'];

describe('buildMp4RemuxArgs', () => {
  it('copies a rung and the audio into a faststart MP4, both moved back by the video start time', () => {
    const args = buildMp4RemuxArgs({
      video: '/w/1080p.mp4',
      audio: '/w/audio.mp4',
      output: '/w/out.mp4',
      videoStartSeconds: 0.0660156,
    });
    // biome-ignore format: option/value pairs
    assert.deepEqual(args, [
      ...HEAD,
      '-copyts',
      '-itsoffset', '-0.066016', ...input('/w/1080p.mp4'),
      '-itsoffset', '-0.066016', ...input('/w/audio.mp4'),
      '-map', '0:v:0', '-map', '1:a:0',
      '-c', 'copy',
      '-movflags', '+faststart',
      '-f', 'mp4',
      '/w/out.mp4',
    ]);
  });

  it('keeps both timelines as they are when the video starts at zero', () => {
    const args = buildMp4RemuxArgs({ video: '/w/v.mp4', audio: '/w/a.mp4', output: '/w/o.mp4' });
    assert.deepEqual(args.slice(HEAD.length, HEAD.length + 3), ['-copyts', '-itsoffset', '0']);
  });

  it('lets ffmpeg rebase a single input itself (video without sound, audio only)', () => {
    // biome-ignore format: option/value pairs
    assert.deepEqual(buildMp4RemuxArgs({ video: '/w/v.mp4', output: '/w/o.mp4', videoStartSeconds: 0.1 }), [
      ...HEAD, ...input('/w/v.mp4'), '-map', '0:v:0', '-c', 'copy', '-movflags', '+faststart', '-f', 'mp4', '/w/o.mp4',
    ]);
    // biome-ignore format: option/value pairs
    assert.deepEqual(buildMp4RemuxArgs({ audio: '/w/a.mp4', output: '/w/o.m4a', progress: true }), [
      ...HEAD, '-progress', 'pipe:1', '-nostats',
      ...input('/w/a.mp4'), '-map', '0:a:0', '-c', 'copy', '-movflags', '+faststart', '-f', 'mp4', '/w/o.m4a',
    ]);
  });

  it('lets the muxer write the spherical metadata of a 360° rung', () => {
    const args = buildMp4RemuxArgs({ video: '/w/v.mp4', output: '/w/o.mp4', spherical: true });
    assert.deepEqual(args.slice(args.indexOf('copy') + 1, args.indexOf('-movflags')), [
      '-strict',
      'unofficial',
    ]);
  });

  it('refuses relative paths and a call without inputs', () => {
    assert.throws(() => buildMp4RemuxArgs({ video: 'v.mp4', output: '/w/o.mp4' }), /absolute path/);
    assert.throws(() => buildMp4RemuxArgs({ output: '/w/o.mp4' }), /video or an audio/);
  });
});
