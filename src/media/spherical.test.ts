import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FFMPEG, FFPROBE, makeClip } from '../../test/fixtures/media.ts';
import { classify } from './classify.ts';
import { buildTranscodeArgs } from './ffmpeg-args.ts';
import { probeFile } from './ffprobe.ts';
import { planLadder } from './ladder.ts';
import { runProcess } from './process.ts';
import { runFfmpeg } from './run-ffmpeg.ts';
import { injectSphericalV1, SPHERICAL_V1_UUID } from './spherical.ts';

/** ffprobe's view of a file's first video stream: its spherical projection and decodable frames. */
async function inspect(file: string): Promise<{ projection: string | null; frames: number }> {
  const r = await runProcess(
    FFPROBE,
    [
      '-v',
      'error',
      '-count_frames',
      '-select_streams',
      'v:0',
      '-show_streams',
      '-print_format',
      'json',
      file,
    ],
    { timeoutMs: 20_000, collectStdout: 1 << 20 },
  );
  assert.equal(r.exitCode, 0, r.stderrTail);
  const stream = JSON.parse(r.stdout.toString()).streams[0];
  const sd = (stream.side_data_list ?? []).find(
    (d: { side_data_type: string }) => d.side_data_type === 'Spherical Mapping',
  );
  return { projection: sd?.projection ?? null, frames: Number(stream.nb_read_frames) };
}

function box(type: string, ...children: Buffer[]): Buffer {
  const body = Buffer.concat(children);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + body.length);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, body]);
}
const hdlr = (handler: string) =>
  box('hdlr', Buffer.alloc(8), Buffer.from(handler, 'latin1'), Buffer.alloc(13));

describe('injectSphericalV1', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fh-spherical-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('marks an MP4 whose moov follows mdat, which ffprobe then reads as equirectangular', async () => {
    const flat = await makeClip(dir, { name: 'flat', width: 320, height: 160, seconds: 1 });
    assert.deepEqual(await inspect(flat), { projection: null, frames: 25 });
    const bytes = await readFile(flat);
    const marked = injectSphericalV1(bytes);
    const out = join(dir, 'marked.mp4');
    await writeFile(out, marked);
    assert.deepEqual(await inspect(out), { projection: 'equirectangular', frames: 25 });
    assert.equal(injectSphericalV1(marked), marked, 'a second pass changes nothing');
  });

  it('refuses an MP4 whose moov precedes its media (offsets would break)', async () => {
    const flat = await makeClip(dir, { name: 'flat2', width: 320, height: 160, seconds: 1, audio: false });
    const faststart = join(dir, 'faststart.mp4');
    await runFfmpeg(
      FFMPEG,
      ['-nostdin', '-v', 'error', '-i', flat, '-c', 'copy', '-movflags', '+faststart', faststart],
      {
        timeoutMs: 20_000,
      },
    );
    const bytes = await readFile(faststart);
    assert.throws(() => injectSphericalV1(bytes), /moov precedes mdat/);
  });

  it('refuses files without a video track or without moov', () => {
    const audioOnly = Buffer.concat([
      box('ftyp', Buffer.from('isom')),
      box('moov', box('trak', box('mdia', hdlr('soun')))),
    ]);
    assert.throws(() => injectSphericalV1(audioOnly), /no video track/);
    assert.throws(() => injectSphericalV1(Buffer.from('hello world, not an mp4')), /bad|no moov/);
  });

  it('grows trak and moov, including a 64-bit moov size, and picks the video trak', () => {
    const soun = box('trak', box('mdia', hdlr('soun')));
    const vide = box('trak', box('tkhd', Buffer.alloc(4)), box('mdia', hdlr('vide')));
    const moovBody = Buffer.concat([soun, vide]);
    const moov64 = Buffer.alloc(16);
    moov64.writeUInt32BE(1);
    moov64.write('moov', 4, 'latin1');
    moov64.writeBigUInt64BE(BigInt(16 + moovBody.length), 8);
    const ftyp = box('ftyp', Buffer.from('isom'));
    const input = Buffer.concat([ftyp, moov64, moovBody]);

    const out = injectSphericalV1(input);
    const added = out.length - input.length;
    assert.ok(added > 24);
    assert.equal(out.readBigUInt64BE(ftyp.length + 8), BigInt(16 + moovBody.length + added));
    const videAt = ftyp.length + 16 + soun.length;
    assert.equal(out.readUInt32BE(ftyp.length + 16), soun.length, 'the audio trak is untouched');
    assert.equal(out.readUInt32BE(videAt), vide.length + added);
    const uuidAt = videAt + vide.length;
    assert.equal(out.toString('latin1', uuidAt + 4, uuidAt + 8), 'uuid');
    assert.equal(out.toString('hex', uuidAt + 8, uuidAt + 24), SPHERICAL_V1_UUID);
    assert.match(out.toString('utf8', uuidAt + 24), /<GSpherical:ProjectionType>equirectangular</);
  });

  it('restores 360° metadata on HLS init segments, which ffmpeg 5.1 drops', async (t) => {
    const src = await makeClip(dir, { name: 'vr', width: 640, height: 320, seconds: 2, spherical: true });
    const info = classify(await probeFile(src), (await stat(src)).size);
    assert.equal(info.is360, true);
    const plan = planLadder(info, { maxShortSide: 240 });
    const outDir = join(dir, 'hls');
    // -strict unofficial lets the mp4 muxer write sv3d: check whether it reaches HLS init segments.
    const args = buildTranscodeArgs({ input: src, outDir, plan, info, preset: 'ultrafast', progress: false });
    args.splice(args.indexOf('-f'), 0, '-strict', 'unofficial');
    await runFfmpeg(FFMPEG, args, { timeoutMs: 60_000 });

    const rungDir = join(outDir, '240p');
    const init = join(rungDir, 'init_0.mp4');
    const segments = (await readdir(rungDir)).filter((f) => f.endsWith('.m4s')).sort();
    const joined = async (initBytes: Buffer) => {
      const file = join(dir, 'joined.mp4');
      const parts = await Promise.all(segments.map((s) => readFile(join(rungDir, s))));
      await writeFile(file, Buffer.concat([initBytes, ...parts]));
      return inspect(file);
    };
    const before = await joined(await readFile(init));
    t.diagnostic(`ffmpeg's own HLS init segment carries spherical metadata: ${before.projection !== null}`);

    const after = await joined(injectSphericalV1(await readFile(init)));
    assert.deepEqual(after, { projection: 'equirectangular', frames: 50 });
  });
});
