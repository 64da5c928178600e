import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { postgresSkip, TEST_DIALECTS } from '../src/db/test-databases.ts';
import { runProcess } from '../src/media/process.ts';
import { FFPROBE, makeClip } from './fixtures/media.ts';
import { signUpWithRole } from './helpers/accounts.ts';
import { type AssetBody, isFinished, startTestServer, type TestServer } from './helpers/server.ts';

type Track = { id: string; kind: string; language: string; name: string; default: boolean; status: string };
type ErrorBody = { error: { code: string; message: string; details?: { line?: number | null } } };
type WithTracks = AssetBody & { tracks: Track[] };

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
/** Korean, saved as many Windows tools save it: BOM, CRLF; two cues overlap, one crosses the 4 s boundary. */
const KOREAN_SRT = Buffer.concat([
  BOM,
  Buffer.from(
    [
      '1',
      '00:00:00,500 --> 00:00:02,000',
      '부산 항구에 오신 것을 환영합니다',
      '',
      '2',
      '00:00:01,500 --> 00:00:03,000',
      '(갈매기 소리)',
      '',
      '3',
      '00:00:03,500 --> 00:00:04,500',
      '배가 곧 출발합니다',
      '',
    ].join('\r\n'),
  ),
]);
const ENGLISH_VTT =
  'WEBVTT\n\nhello\n00:00:01.000 --> 00:00:02.500\nWelcome to the harbour.\n\n00:00:05.000 --> 00:00:05.900\n[horn]\n';

for (const dialect of TEST_DIALECTS) {
  describe(`captions and subtitles on ${dialect}`, { skip: postgresSkip(dialect) }, () => {
    let server: TestServer;
    let dir: string;
    let asset: WithTracks;
    const tracks: Record<string, Track> = {};

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'fh-captions-'));
      // No trash: a deletion removes the tracks at once (test/trash.test.ts has the trash).
      server = await startTestServer({ FRAMEHOUSE_TRASH_DAYS: '0' }, undefined, dialect);
      const clip = await makeClip(dir, { name: 'harbour', width: 640, height: 360, seconds: 6 });
      asset = (await server.waitForAsset((await server.upload(clip)).id, isFinished)) as WithTracks;
      assert.equal(asset.status, 'ready', JSON.stringify(asset.errors));
    });
    after(async () => {
      await server?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    const addTrack = (
      assetId: string,
      file: Buffer | string,
      fields: Record<string, string>,
      filename = 'subs.srt',
    ) => {
      const form = new FormData();
      for (const [k, v] of Object.entries(fields)) form.append(k, v);
      form.append('file', new Blob([file]), filename);
      return server.api<{ data: Track } & ErrorBody>(`/v1/assets/${assetId}/tracks`, {
        method: 'POST',
        body: form,
      });
    };
    const play = async (path: string, headers: Record<string, string> = {}) => {
      const res = await fetch(new URL(path, server.url), { headers });
      return { status: res.status, headers: res.headers, text: await res.text() };
    };
    const base = () => asset.playback.hls.replace('master.m3u8', '');

    test('a Korean SRT (BOM, CRLF) and an English WebVTT become subtitle renditions of the master', async () => {
      const en = await addTrack(
        asset.id,
        ENGLISH_VTT,
        { language: 'en', kind: 'captions', default: 'true' },
        'en.vtt',
      );
      assert.equal(en.status, 201, JSON.stringify(en.body));
      assert.equal(en.headers.get('location'), `/v1/assets/${asset.id}/tracks/${en.body.data.id}`);
      assert.deepEqual(
        { ...en.body.data, id: '' },
        { id: '', kind: 'captions', language: 'en', name: 'English (CC)', default: true, status: 'ready' },
      );
      const ko = await addTrack(asset.id, KOREAN_SRT, { language: 'ko-kr', name: '한국어 자막' });
      assert.equal(ko.status, 201, JSON.stringify(ko.body));
      assert.deepEqual(
        { ...ko.body.data, id: '' },
        {
          id: '',
          kind: 'subtitles',
          language: 'ko-KR',
          name: '한국어 자막',
          default: false,
          status: 'ready',
        },
      );
      tracks.en = en.body.data;
      tracks.ko = ko.body.data;

      const got = await server.api<{ data: WithTracks }>(`/v1/assets/${asset.id}`);
      assert.deepEqual(got.body.data.tracks, [tracks.en, tracks.ko]);
      assert.deepEqual((await server.api<{ data: Track[] }>(`/v1/assets/${asset.id}/tracks`)).body.data, [
        tracks.en,
        tracks.ko,
      ]);
      assert.deepEqual((await server.api(`/v1/assets/${asset.id}/tracks/${tracks.ko.id}`)).body, {
        data: tracks.ko,
      });

      const master = await play(asset.playback.hls);
      assert.equal(master.status, 200);
      const media = master.text.split('\n').filter((l) => l.startsWith('#EXT-X-MEDIA:TYPE=SUBTITLES'));
      assert.deepEqual(media, [
        `#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English (CC)",LANGUAGE="en",DEFAULT=YES,AUTOSELECT=YES,FORCED=NO,CHARACTERISTICS="public.accessibility.transcribes-spoken-dialog,public.accessibility.describes-music-and-sound",URI="subs/${tracks.en.id}/index.m3u8"`,
        `#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="한국어 자막",LANGUAGE="ko-KR",DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,URI="subs/${tracks.ko.id}/index.m3u8"`,
      ]);
      const variants = master.text.split('\n').filter((l) => l.startsWith('#EXT-X-STREAM-INF:'));
      assert.equal(variants.length, asset.renditions.filter((r) => r.type === 'video').length);
      for (const v of variants) assert.match(v, /,SUBTITLES="subs"$/);
      // Another HLS reader than a browser's: ffmpeg's demuxer (subtitle renditions are
      // experimental there) finds both as WebVTT streams with their languages.
      const probe = await runProcess(
        FFPROBE,
        [
          '-v',
          'error',
          '-strict',
          'experimental',
          '-show_entries',
          'stream=codec_name:stream_tags=language',
          '-of',
          'csv=p=0',
          `${server.url}${asset.playback.hls}`,
        ],
        { timeoutMs: 30_000, collectStdout: 1 << 20 },
      );
      assert.equal(probe.exitCode, 0, probe.stderrTail);
      const subtitles = new Set(
        probe.stdout
          .toString()
          .split('\n')
          .filter((l) => l.startsWith('webvtt,')),
      );
      assert.deepEqual([...subtitles].sort(), ['webvtt,en', 'webvtt,ko-KR']);
      // A shared cache may revalidate it.
      const etag = master.headers.get('etag') ?? '';
      assert.match(etag, /^".+"$/);
      assert.equal((await play(asset.playback.hls, { 'if-none-match': etag })).status, 304);
    });

    test('each track is a VOD playlist of WebVTT segments on the video clock (X-TIMESTAMP-MAP = first frame)', async () => {
      const lowest = asset.renditions
        .filter((r) => r.type === 'video')
        .sort((a, b) => (a.height ?? 0) - (b.height ?? 0))[0];
      assert.ok(lowest);
      const rung = await play(`${base()}${lowest.name}/index.m3u8`);
      const target = Number(/#EXT-X-TARGETDURATION:(\d+)/.exec(rung.text)?.[1]);

      const playlist = await play(`${base()}subs/${tracks.ko?.id}/index.m3u8`);
      assert.equal(playlist.status, 200);
      assert.equal(playlist.headers.get('content-type'), 'application/vnd.apple.mpegurl');
      assert.match(playlist.text, new RegExp(`#EXT-X-TARGETDURATION:${target}\n`));
      assert.match(playlist.text, /#EXT-X-PLAYLIST-TYPE:VOD\n[\s\S]*#EXT-X-ENDLIST\n$/);
      const durations = [...playlist.text.matchAll(/#EXTINF:([\d.]+),/g)].map((m) => Number(m[1]));
      // As long as the video the player plays: the rung's own segments.
      const video = [...rung.text.matchAll(/#EXTINF:([\d.]+),/g)].reduce((sum, m) => sum + Number(m[1]), 0);
      assert.equal(durations.length, Math.ceil(video / target));
      assert.ok(
        Math.abs(durations.reduce((a, b) => a + b, 0) - video) < 0.002,
        `${durations} for ${video} s`,
      );

      // The oracle: ffprobe's start time of the lowest rung's first segment, read from the store.
      const hlsDir = join(server.dataDir, 'objects', 'hls', asset.id, lowest.name);
      const init = /#EXT-X-MAP:URI="([^"]+)"/.exec(rung.text)?.[1] ?? '';
      const joined = join(dir, 'first-segment.mp4');
      await writeFile(
        joined,
        Buffer.concat([await readFile(join(hlsDir, init)), await readFile(join(hlsDir, 'seg_00000.m4s'))]),
      );
      const probe = await runProcess(
        FFPROBE,
        ['-v', 'error', '-show_entries', 'stream=start_time', '-of', 'csv=p=0', joined],
        {
          timeoutMs: 20_000,
          collectStdout: 1 << 16,
        },
      );
      const firstFrame = Number(probe.stdout.toString().trim());
      assert.ok(firstFrame > 0, 'B-frames delay the first frame');

      const seg0 = await play(`${base()}subs/${tracks.ko?.id}/seg_00000.vtt`);
      assert.equal(seg0.status, 200);
      assert.equal(seg0.headers.get('content-type'), 'text/vtt; charset=utf-8');
      const mpegts = Number(
        /^WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:(\d+),LOCAL:00:00:00\.000\n/.exec(seg0.text)?.[1],
      );
      assert.ok(
        Math.abs(mpegts - firstFrame * 90_000) <= 100,
        `MPEGTS ${mpegts} vs first frame ${firstFrame} s`,
      );
      // UTF-8 Korean, both overlapping cues, and the cue crossing 4 s, which the next segment repeats.
      assert.ok(
        seg0.text.includes('00:00:00.500 --> 00:00:02.000\n부산 항구에 오신 것을 환영합니다'),
        seg0.text,
      );
      assert.ok(seg0.text.includes('00:00:01.500 --> 00:00:03.000\n(갈매기 소리)'));
      assert.ok(seg0.text.includes('00:00:03.500 --> 00:00:04.500\n배가 곧 출발합니다'));
      const seg1 = await play(`${base()}subs/${tracks.ko?.id}/seg_00001.vtt`);
      assert.ok(seg1.text.includes('00:00:03.500 --> 00:00:04.500\n배가 곧 출발합니다'));
      assert.ok(!seg1.text.includes('부산'));
      const past = await play(`${base()}subs/${tracks.ko?.id}/seg_00009.vtt`);
      assert.equal(past.status, 404);
      assert.equal((await play(`${base()}subs/${tracks.ko?.id}/seg_1.vtt`)).status, 404);
    });

    test('malformed files, bad fields and oversized files are refused with codes; nothing is kept', async () => {
      const refused = async (
        file: Buffer | string,
        fields: Record<string, string>,
        status: number,
        code: string,
      ) => {
        const r = await addTrack(asset.id, file, fields);
        assert.equal(r.status, status, JSON.stringify(r.body));
        assert.equal(r.body.error.code, code);
        return r.body.error;
      };
      const srt = await refused(
        '1\n00:00:01,000 --> 00:00:02,000\nOne\n2\n00:00:03,000 --> 00:00:04,000\nTwo\n',
        { language: 'en', name: 'Broken SRT' },
        422,
        'FH_ERR_CAPTIONS_INVALID',
      );
      assert.equal(srt.details?.line, 5);
      assert.match(srt.message, /Line 5/);
      const vtt = await refused(
        'WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nOk\n\n00:00:03.000 --> 00:00:xx.000\nBad\n',
        { language: 'en', name: 'Broken VTT' },
        422,
        'FH_ERR_CAPTIONS_INVALID',
      );
      assert.equal(vtt.details?.line, 6);
      await refused(ENGLISH_VTT, { language: 'not a language!' }, 400, 'FH_ERR_VALIDATION');
      await refused(ENGLISH_VTT, { language: 'en', kind: 'karaoke' }, 400, 'FH_ERR_VALIDATION');
      await refused(ENGLISH_VTT, { language: 'en', name: 'Say "hi"' }, 400, 'FH_ERR_VALIDATION');
      await refused(ENGLISH_VTT, { language: 'en', default: 'maybe' }, 400, 'FH_ERR_VALIDATION');
      await refused(ENGLISH_VTT, { language: 'en', kind: 'captions' }, 409, 'FH_ERR_TRACK_NAME_TAKEN');
      await refused(ENGLISH_VTT, { name: 'No language' }, 400, 'FH_ERR_VALIDATION');
      const big = `WEBVTT\n\n${'00:00:01.000 --> 00:00:02.000\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n\n'.repeat(50_000)}`;
      await refused(big, { language: 'en', name: 'Too big' }, 413, 'FH_ERR_UPLOAD_TOO_LARGE');
      const noFile = new FormData();
      noFile.append('language', 'en');
      const r = await server.api<ErrorBody>(`/v1/assets/${asset.id}/tracks`, {
        method: 'POST',
        body: noFile,
      });
      assert.deepEqual([r.status, r.body.error.code], [400, 'FH_ERR_UPLOAD_MISSING_FILE']);
      const missing = await addTrack('zzzzzzzzzzzzzzzz', ENGLISH_VTT, { language: 'en' });
      assert.deepEqual([missing.status, missing.body.error.code], [404, 'FH_ERR_ASSET_NOT_FOUND']);

      const after = await server.api<{ data: WithTracks }>(`/v1/assets/${asset.id}`);
      assert.equal(after.body.data.tracks.length, 2);
      const stored = await readdir(join(server.dataDir, 'objects', 'captions', asset.id));
      assert.deepEqual(stored.sort(), [`${tracks.en?.id}.vtt`, `${tracks.ko?.id}.vtt`].sort());
      assert.equal((await server.api('/healthz')).status, 200);
    });

    test('signed playback: the token rides on every subtitle URI, and none opens without it', async () => {
      const patch = await server.api(`/v1/assets/${asset.id}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: '{"playback_policy":"signed"}',
      });
      assert.equal(patch.status, 200);
      const playbackId = asset.playback_ids[0]?.id;
      const minted = await server.api<{ data: { token: string; hls_url: string } }>('/v1/playback-tokens', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ playback_id: playbackId, expires_in: 600 }),
      });
      const { token, hls_url: hlsUrl } = minted.body.data;
      const master = await play(hlsUrl);
      assert.equal(master.status, 200);
      assert.equal(master.headers.get('cache-control'), 'private, max-age=1');
      const uri = /TYPE=SUBTITLES.*URI="([^"]+)"/.exec(master.text)?.[1] ?? '';
      assert.equal(uri, `subs/${tracks.en?.id}/index.m3u8?token=${encodeURIComponent(token)}`);

      const subs = `${base()}subs/${tracks.ko?.id}/index.m3u8`;
      const bare = await play(subs);
      assert.equal(bare.status, 403);
      assert.equal((JSON.parse(bare.text) as ErrorBody).error.code, 'FH_ERR_PLAYBACK_TOKEN_REQUIRED');
      const withToken = await play(`${subs}?token=${encodeURIComponent(token)}`);
      assert.equal(withToken.status, 200);
      const segment = withToken.text.split('\n').find((l) => l.startsWith('seg_')) ?? '';
      assert.ok(segment.endsWith(`?token=${encodeURIComponent(token)}`), withToken.text);
      assert.equal((await play(`${base()}subs/${tracks.ko?.id}/seg_00000.vtt`)).status, 403);
      const vtt = await play(`${base()}subs/${tracks.ko?.id}/${segment}`);
      assert.equal(vtt.status, 200);
      assert.equal(vtt.headers.get('cache-control'), 'private, max-age=86400');
      await server.api(`/v1/assets/${asset.id}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: '{"playback_policy":"public"}',
      });
    });

    test('one default at a time; deleting a track takes it out of the master; events in the outbox', async () => {
      const fr = await addTrack(asset.id, ENGLISH_VTT, { language: 'fr', default: 'yes' });
      assert.equal(fr.status, 201);
      assert.equal(fr.body.data.name, 'Français');
      const defaults = (await server.api<{ data: Track[] }>(`/v1/assets/${asset.id}/tracks`)).body.data
        .filter((t) => t.default)
        .map((t) => t.language);
      assert.deepEqual(defaults, ['fr']);
      assert.equal(
        (await play(asset.playback.hls)).text.match(/DEFAULT=YES/g)?.length,
        2,
        'audio and one subtitle track',
      );

      const del = await server.api(`/v1/assets/${asset.id}/tracks/${tracks.en?.id}`, { method: 'DELETE' });
      assert.equal(del.status, 204);
      const master = await play(asset.playback.hls);
      assert.ok(!master.text.includes(tracks.en?.id ?? '-'), master.text);
      assert.equal(master.text.match(/TYPE=SUBTITLES/g)?.length, 2);
      const gone = await play(`${base()}subs/${tracks.en?.id}/index.m3u8`);
      assert.deepEqual(
        [gone.status, (JSON.parse(gone.text) as ErrorBody).error.code],
        [404, 'FH_ERR_TRACK_NOT_FOUND'],
      );
      assert.ok(!existsSync(join(server.dataDir, 'objects', 'captions', asset.id, `${tracks.en?.id}.vtt`)));
      const again = await server.api<ErrorBody>(`/v1/assets/${asset.id}/tracks/${tracks.en?.id}`, {
        method: 'DELETE',
      });
      assert.deepEqual([again.status, again.body.error.code], [404, 'FH_ERR_TRACK_NOT_FOUND']);

      const events = await server.api<{ data: Array<{ type: string; data: Record<string, unknown> }> }>(
        `/v1/events?asset_id=${asset.id}&type=asset.track.ready,asset.track.deleted`,
      );
      assert.deepEqual(
        events.body.data.map((e) => [e.type, e.data.track_id]),
        [
          ['asset.track.ready', tracks.en?.id],
          ['asset.track.ready', tracks.ko?.id],
          ['asset.track.ready', fr.body.data.id],
          ['asset.track.deleted', tracks.en?.id],
        ],
      );
      assert.deepEqual(events.body.data[1]?.data, {
        track_id: tracks.ko?.id,
        kind: 'subtitles',
        language: 'ko-KR',
        name: '한국어 자막',
        default: false,
        // A cache in front (framehouse edge) purges these: the master playlist lists the tracks.
        playback_ids: asset.playback_ids.map((p) => p.id),
      });
    });

    test('a track added while the asset is still processing is in the final master; the asset takes its tracks along when deleted', async () => {
      const clip = await makeClip(dir, { name: 'ferry', width: 854, height: 480, seconds: 8 });
      const created = await server.upload(clip);
      const early = await addTrack(created.id, KOREAN_SRT, { language: 'ko' });
      assert.equal(early.status, 201, JSON.stringify(early.body));
      const meanwhile = await server.api<{ data: WithTracks }>(`/v1/assets/${created.id}`);
      assert.notEqual(meanwhile.body.data.progress, 1, 'added before the ladder was done');
      const done = (await server.waitForAsset(created.id, isFinished)) as WithTracks;
      assert.equal(done.status, 'ready');
      assert.deepEqual(
        done.tracks.map((t) => t.name),
        ['한국어'],
      );
      const master = await play(done.playback.hls);
      assert.ok(master.text.includes(`URI="subs/${early.body.data.id}/index.m3u8"`), master.text);
      const rungs = master.text.split('\n').filter((l) => l.startsWith('#EXT-X-STREAM-INF:'));
      assert.equal(
        rungs.length,
        done.renditions.filter((r) => r.type === 'video').length,
        'every rung landed',
      );
      for (const v of rungs) assert.match(v, /SUBTITLES="subs"/);

      assert.equal((await server.api(`/v1/assets/${created.id}`, { method: 'DELETE' })).status, 204);
      const folder = join(server.dataDir, 'objects', 'captions', created.id);
      const deadline = Date.now() + 30_000;
      while (existsSync(folder) && (await readdir(folder)).length > 0) {
        assert.ok(Date.now() < deadline, 'the delete job removed the tracks folder');
        await new Promise((r) => setTimeout(r, 200));
      }
      const listed = await server.api<ErrorBody>(`/v1/assets/${created.id}/tracks`);
      assert.equal(listed.status, 404);
      const rows = await server.db
        .selectFrom('asset_tracks')
        .select('id')
        .where('asset_id', '=', created.id)
        .execute();
      assert.deepEqual(rows, [], 'the rows went with the asset');
    });
  });
}

describe('who may add and remove tracks: who may edit the asset', () => {
  const ADMIN_KEY = 'captions-admin-key-0123456789';
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ FRAMEHOUSE_ADMIN_API_KEY: ADMIN_KEY });
  });
  after(() => server?.stop());

  /** A signed-in editor: the cookie and origin a browser on this server's pages would send. */
  async function editor(email: string): Promise<Record<string, string>> {
    const cookie = await signUpWithRole(server, email, 'a long enough password', 'editor');
    return { cookie, origin: server.url };
  }

  /** A request with these headers only (the test server's helper would add the admin key). */
  async function as<T>(headers: Record<string, string>, path: string, init: RequestInit = {}) {
    const res = await fetch(new URL(path, server.url), { ...init, headers });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  }

  test('an editor adds tracks to their own assets only; admins to any', async () => {
    const ed = await editor('ed@example.com');
    const eve = await editor('eve@example.com');
    const upload = new FormData();
    upload.append('file', new Blob([Buffer.from('not really a video')]), 'clip.mp4');
    const created = await as<{ data: { id: string } }>(ed, '/v1/assets', { method: 'POST', body: upload });
    assert.equal(created.status, 202);
    const id = created.body.data.id;
    const add = (headers: Record<string, string>, name: string) => {
      const form = new FormData();
      form.append('language', 'en');
      form.append('name', name);
      form.append('file', new Blob([ENGLISH_VTT]), 'en.vtt');
      return as<{ data: Track } & ErrorBody>(headers, `/v1/assets/${id}/tracks`, {
        method: 'POST',
        body: form,
      });
    };
    const refused = await add(eve, 'Not yours');
    assert.deepEqual([refused.status, refused.body.error.code], [403, 'FH_ERR_NOT_OWNER']);
    const own = await add(ed, 'Mine');
    assert.equal(own.status, 201, JSON.stringify(own.body));
    const byAdmin = await add({ authorization: `Bearer ${ADMIN_KEY}` }, 'By the admin key');
    assert.equal(byAdmin.status, 201);
    const path = `/v1/assets/${id}/tracks/${own.body.data.id}`;
    assert.equal((await as(eve, path, { method: 'DELETE' })).status, 403);
    assert.equal((await as(ed, path, { method: 'DELETE' })).status, 204);
    assert.deepEqual(
      (await server.api<{ data: Track[] }>(`/v1/assets/${id}/tracks`)).body.data.map((t) => t.name),
      ['By the admin key'],
    );
  });
});
