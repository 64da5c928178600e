import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  FFPROBE,
  makeClip,
  makeCorrupt,
  makeHostilePlaylist,
  makeTextAsMp4,
  makeTruncated,
} from '../../test/fixtures/media.ts';
import { AppError } from '../shared/errors.ts';
import { ALLOWED_DEMUXERS, buildProbeArgs, probeFile } from './ffprobe.ts';
import { runProcess } from './process.ts';

const run = promisify(execFile);

function rejectsWith(code: string, dir?: string) {
  return (e: unknown) => {
    assert.ok(e instanceof AppError, `expected AppError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    // Our storage paths never reach a message a person reads.
    if (dir) assert.ok(!e.message.includes(dir), e.message);
    return true;
  };
}

describe('ALLOWED_DEMUXERS', () => {
  it('names only demuxers this ffprobe has, and none that follow references', async () => {
    const { stdout } = await run(FFPROBE, ['-hide_banner', '-demuxers']);
    const names = new Set(
      stdout
        .split('\n')
        .map((l) => /^\s*D\S*\s+(\S+)/.exec(l)?.[1])
        .filter((n): n is string => !!n)
        .flatMap((n) => n.split(',')),
    );
    for (const name of ALLOWED_DEMUXERS) assert.ok(names.has(name), `ffprobe has no demuxer "${name}"`);
    for (const banned of [
      'hls',
      'concat',
      'dash',
      'image2',
      'sdp',
      'rtsp',
      'rtp',
      'imf',
      'lavfi',
      'tty',
      'webm_dash_manifest',
    ]) {
      assert.ok(!ALLOWED_DEMUXERS.includes(banned), `${banned} must not be allowed`);
    }
  });

  it('builds the probe command with both whitelists and a file: input', () => {
    // biome-ignore format: option/value pairs
    assert.deepEqual(buildProbeArgs('/data/sources/a b/http:x.mp4'), [
      '-v', 'error', '-print_format', 'json', '-show_format', '-show_streams',
      '-protocol_whitelist', 'file',
      '-format_whitelist',
      'mov,mp4,matroska,webm,avi,flv,mpegts,mpeg,mpegvideo,asf,mxf,dv,h264,hevc,m4v,mp3,aac,wav,flac,ogg,amr,ac3,eac3,aiff,caf,w64,wv,ape,gif,jpeg_pipe,png_pipe,webp_pipe,tiff_pipe,bmp_pipe',
      '-i', 'file:/data/sources/a b/http:x.mp4',
    ]);
  });
});

describe('probeFile', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fh-probe-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a real clip, even one whose name looks like a URL or an option', async () => {
    const clip = await makeClip(dir, { name: 'ok', seconds: 1 });
    const odd = join(dir, '-http:x?y=%41.mp4');
    await copyFile(clip, odd);
    const probe = await probeFile(odd);
    assert.equal(probe.format?.format_name, 'mov,mp4,m4a,3gp,3g2,mj2');
    assert.deepEqual(
      probe.streams?.map((s) => s.codec_type),
      ['video', 'audio'],
    );
  });

  it('is refused by ffprobe when the demuxer is not whitelisted (the flag works)', async () => {
    const clip = await makeClip(dir, { name: 'wl', seconds: 1, audio: false });
    const r = await runProcess(FFPROBE, ['-v', 'error', '-format_whitelist', 'avi', '-i', `file:${clip}`], {
      timeoutMs: 10_000,
    });
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderrTail, /not on whitelist/);
  });

  it('rejects an empty file', async () => {
    const file = join(dir, 'empty.mp4');
    await writeFile(file, '');
    await assert.rejects(probeFile(file), rejectsWith('FH_ERR_EMPTY_FILE'));
  });

  it('rejects random bytes and text as not media', async () => {
    await assert.rejects(probeFile(await makeCorrupt(dir)), rejectsWith('FH_ERR_NOT_MEDIA', dir));
    await assert.rejects(probeFile(await makeTextAsMp4(dir)), rejectsWith('FH_ERR_NOT_MEDIA', dir));
  });

  it('rejects a truncated MP4 as damaged', async () => {
    await assert.rejects(probeFile(await makeTruncated(dir)), (e: unknown) => {
      rejectsWith('FH_ERR_MEDIA_DAMAGED', dir)(e);
      assert.match((e as Error).message, /moov atom not found/);
      return true;
    });
  });

  it('rejects reference files from their first bytes', async () => {
    const cases: Record<string, string> = {
      'list.ffconcat': "ffconcat version 1.0\nfile '/etc/passwd'\n",
      'concat.txt': "file 'a.mp4'\nfile 'b.mp4'\n",
      'manifest.mpd': '<?xml version="1.0"?>\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011"></MPD>\n',
      'urls.m3u': 'http://example.com/a.mp3\n',
      'bom.m3u8': '\uFEFF  #EXTM3U\n#EXTINF:1,\nseg.ts\n',
      'stream.sdp': 'v=0\no=- 0 0 IN IP4 127.0.0.1\nm=video 5004 RTP/AVP 96\n',
    };
    for (const [name, text] of Object.entries(cases)) {
      await writeFile(join(dir, name), text);
      await assert.rejects(probeFile(join(dir, name)), rejectsWith('FH_ERR_PLAYLIST_REJECTED'), name);
    }
  });

  describe('a hostile playlist', () => {
    let server: Server;
    let requests = 0;
    let url = '';
    before(async () => {
      server = createServer((_req, res) => {
        requests++;
        res.end('not a segment');
      });
      await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/segment.ts`;
    });
    after(() => {
      server.close();
    });

    it('is rejected and never followed, whatever its name', async () => {
      const playlist = await makeHostilePlaylist(dir, url);
      const disguised = join(dir, 'hostile-as.mp4');
      await copyFile(playlist, disguised);

      await assert.rejects(probeFile(playlist), rejectsWith('FH_ERR_PLAYLIST_REJECTED'));
      await assert.rejects(probeFile(disguised), rejectsWith('FH_ERR_PLAYLIST_REJECTED'));
      // Second wall: even if the sniff missed it, ffprobe with our arguments refuses the hls demuxer.
      for (const file of [playlist, disguised]) {
        const r = await runProcess(FFPROBE, buildProbeArgs(file), { timeoutMs: 10_000 });
        assert.notEqual(r.exitCode, 0);
        assert.match(r.stderrTail, /\[hls @ [^\]]+\] Format not on whitelist/);
      }
      assert.equal(requests, 0);
    });

    it('would have reached the server without the whitelists (the test can see a request)', async () => {
      // The http segment alone (ffmpeg's own hls checks refuse the file:///etc/passwd line early).
      const control = join(dir, 'control.m3u8');
      await writeFile(control, `#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\n${url}\n#EXT-X-ENDLIST\n`);
      await runProcess(FFPROBE, ['-v', 'error', '-protocol_whitelist', 'file,http,tcp', '-i', control], {
        timeoutMs: 10_000,
      });
      assert.ok(requests > 0, 'the control probe should have requested the segment');
    });
  });

  it('kills ffprobe at the time limit', async () => {
    const clip = await makeClip(dir, { name: 'slow', seconds: 1, audio: false });
    const stuck = join(dir, 'stuck-ffprobe.sh');
    await writeFile(stuck, '#!/bin/sh\nexec sleep 30\n');
    await chmod(stuck, 0o755);
    const started = Date.now();
    await assert.rejects(
      probeFile(clip, { ffprobePath: stuck, timeoutMs: 200 }),
      rejectsWith('FH_ERR_MEDIA_TIMEOUT'),
    );
    assert.ok(Date.now() - started < 3000);

    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(
      probeFile(clip, { ffprobePath: stuck, timeoutMs: 10_000, signal: controller.signal }),
      {
        name: 'AbortError',
      },
    );
  });
});
