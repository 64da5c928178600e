import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { makeMp3WithCover } from './fixtures/media.ts';
import { isFinished, startTestServer, type TestServer } from './helpers/server.ts';

const run = promisify(execFile);
const ffmpeg = (args: string[]) => run('ffmpeg', ['-nostdin', '-v', 'error', '-y', ...args]);

/**
 * Sources shaped like what people really upload: screen recordings with a variable frame rate,
 * 10-bit HDR-tagged HEVC from phones, camera files with PCM surround sound, high-frame-rate
 * slow motion, interlaced broadcast video, and clips whose audio outlasts the picture.
 */
describe('real-world shaped sources', () => {
  let server: TestServer;
  let dir: string;
  before(async () => {
    server = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), 'fh-real-'));
  });
  after(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const cases: [string, string, string[], (a: Awaited<ReturnType<TestServer['waitForAsset']>>) => void][] = [
    [
      'a VP9/Opus WebM screen recording with a variable frame rate',
      'screen.webm',
      [
        '-f',
        'lavfi',
        '-i',
        'testsrc2=s=640x400:r=30:d=3',
        '-f',
        'lavfi',
        '-i',
        'sine=d=3',
        '-vf',
        "setpts='if(lt(N,30),PTS,PTS*1.7)'",
        '-fps_mode',
        'vfr',
        '-c:v',
        'libvpx-vp9',
        '-deadline',
        'realtime',
        '-cpu-used',
        '8',
        '-c:a',
        'libopus',
      ],
      (a) => assert.deepEqual([a.width, a.height], [640, 400]),
    ],
    [
      '10-bit HEVC tagged HDR (PQ, BT.2020) as phones record it',
      'hdr.mov',
      [
        '-f',
        'lavfi',
        '-i',
        'testsrc2=s=640x360:r=30:d=2',
        '-pix_fmt',
        'yuv420p10le',
        '-c:v',
        'libx265',
        '-preset',
        'ultrafast',
        '-x265-params',
        'log-level=error',
        '-color_primaries',
        'bt2020',
        '-color_trc',
        'smpte2084',
        '-colorspace',
        'bt2020nc',
        '-tag:v',
        'hvc1',
      ],
      (a) => assert.equal(a.renditions[0]?.name, '360p'),
    ],
    [
      'a camera MOV with 5.1 PCM sound',
      'camera.mov',
      [
        '-f',
        'lavfi',
        '-i',
        'testsrc2=s=640x360:r=25:d=2',
        '-f',
        'lavfi',
        '-i',
        'sine=d=2',
        '-af',
        'pan=5.1|c0=c0|c1=c0|c2=c0|c3=c0|c4=c0|c5=c0',
        '-c:v',
        'mjpeg',
        '-c:a',
        'pcm_s24le',
      ],
      (a) => assert.ok(a.renditions.some((r) => r.name === 'audio')),
    ],
    [
      '120 fps slow motion (capped at 60)',
      'slowmo.mp4',
      ['-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=120:d=2', '-c:v', 'libx264', '-preset', 'ultrafast'],
      (a) => assert.equal((a.renditions[0] as unknown as { frame_rate: number }).frame_rate, 60),
    ],
    [
      'interlaced MPEG-2 in a transport stream',
      'broadcast.ts',
      [
        '-f',
        'lavfi',
        '-i',
        'testsrc2=s=720x576:r=25:d=2',
        '-f',
        'lavfi',
        '-i',
        'sine=d=2',
        '-c:v',
        'mpeg2video',
        '-flags',
        '+ildct+ilme',
        '-top',
        '1',
        '-c:a',
        'mp2',
      ],
      (a) => assert.ok(a.renditions.length >= 2),
    ],
    [
      'audio that outlasts the picture',
      'longaudio.mkv',
      [
        '-f',
        'lavfi',
        '-i',
        'testsrc2=s=320x240:r=25:d=1',
        '-f',
        'lavfi',
        '-i',
        'sine=d=3',
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-c:a',
        'flac',
      ],
      (a) => assert.ok((a.duration ?? 0) >= 2.9),
    ],
  ];

  for (const [what, name, args, check] of cases) {
    test(what, async () => {
      const file = join(dir, name);
      await ffmpeg([...args, file]);
      const asset = await server.waitForAsset((await server.upload(file)).id, isFinished);
      assert.equal(asset.status, 'ready', JSON.stringify(asset.errors));
      check(asset);
      const master = await server.api<string>(asset.playback.hls);
      assert.equal(master.status, 200);
      const poster = await server.api(asset.playback.thumbnail);
      assert.equal(poster.status, 200);
    });
  }

  test('an MP3 with cover art is audio, not video', async () => {
    const asset = await server.waitForAsset(
      (await server.upload(await makeMp3WithCover(dir))).id,
      isFinished,
    );
    assert.equal(asset.status, 'ready', JSON.stringify(asset.errors));
    assert.equal(asset.kind, 'audio');
  });
});
