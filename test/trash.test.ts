import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { AssetsService } from '../src/assets/assets.service.ts';
import { purgeTrash, purgeTrashSpec } from '../src/assets/purge-trash.job.ts';
import { DAY_MS } from '../src/assets/trash.ts';
import type { Db } from '../src/db/database.ts';
import { postgresSkip, TEST_DIALECTS } from '../src/db/test-databases.ts';
import { signImgproxyPath } from '../src/images/imgproxy-url.ts';
import { enqueueJob } from '../src/queue/jobs.ts';
import { JobQueue } from '../src/queue/queue.ts';
import { newId } from '../src/shared/ids.ts';
import { makeClip } from './fixtures/media.ts';
import { signUpWithRole } from './helpers/accounts.ts';
import { type AssetBody, isFinished, startTestServer, type TestServer } from './helpers/server.ts';
import { waitFor, waitForValue } from './helpers/wait.ts';

type ErrorBody = { error: { code: string; message: string } };
type Trashed = AssetBody & { deleted_at: string | null; purge_after: string | null };
type Asset = AssetBody & {
  deleted_at: string | null;
  purge_after: string | null;
  downloads: { name: string; status: string; url: string | null }[];
  tracks: { id: string; status: string }[];
};

const KEY = '943b421c9eb07c830af81030552c86009268de4e532ba2ee2eab8247c6da0881';
const SALT = '520f986b998545b4785e0defbc4f3c1203f22de2374a3d53cb7a7fe9fea309c5';
const keys = { key: Buffer.from(KEY, 'hex'), salt: Buffer.from(SALT, 'hex') };
const VTT = 'WEBVTT\n\n00:00:00.500 --> 00:00:01.500\nAhoy.\n';
const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** A backups row as the backup engine writes it (the engine itself is another module's). */
async function insertBackup(
  db: Db,
  row: { status: 'running' | 'succeeded' | 'failed'; snapshotAt: string | null; heartbeatAt: string },
): Promise<string> {
  const id = `${row.heartbeatAt.replace(/[-:.]/g, '')}-${newId(6)}`;
  await db
    .insertInto('backups')
    .values({
      id,
      trigger: 'cli',
      target: '/backups',
      status: row.status,
      objects_mode: 'all',
      node: 'test',
      started_at: row.snapshotAt ?? row.heartbeatAt,
      snapshot_at: row.snapshotAt,
      finished_at: row.status === 'running' ? null : row.heartbeatAt,
      heartbeat_at: row.heartbeatAt,
      database_bytes: null,
      size_bytes: null,
      objects_total: null,
      objects_bytes: null,
      objects_copied: null,
      verification: null,
      verification_problems: null,
      error_code: null,
      error_message: null,
    })
    .execute();
  return id;
}

for (const dialect of TEST_DIALECTS) {
  describe(`the trash on ${dialect}`, { skip: postgresSkip(dialect) }, () => {
    let server: TestServer;
    let dir: string;
    let video: Asset;
    let photo: Asset;
    /** The purge as the job runs it, with a clock of the test's own. */
    let purge: (now: number, backupScheduled?: boolean) => ReturnType<typeof purgeTrash>;

    const get = <T = ErrorBody>(path: string) => server.api<T>(path);
    const trash = async () =>
      (await get<{ data: Trashed[] }>('/v1/assets?trashed=true&limit=100')).body.data.map((a) => a.id);
    const library = async (query = '') =>
      (await get<{ data: AssetBody[] }>(`/v1/assets?limit=100${query}`)).body.data.map((a) => a.id);
    const row = (id: string) =>
      server.db
        .selectFrom('assets')
        .select(['id', 'deleted_at', 'status'])
        .where('id', '=', id)
        .executeTakeFirst();
    const stored = (prefix: string, id: string) => existsSync(join(server.dataDir, 'objects', prefix, id));

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'fh-trash-'));
      server = await startTestServer(
        { FRAMEHOUSE_TRASH_DAYS: '30', FRAMEHOUSE_IMG_KEY: KEY, FRAMEHOUSE_IMG_SALT: SALT },
        undefined,
        dialect,
      );
      const assets = new AssetsService({
        db: server.db,
        queue: new JobQueue({ db: server.db }),
        trashDays: 30,
      });
      purge = (now, backupScheduled = false) =>
        purgeTrash({ db: server.db, assets, backupScheduled }, { now });

      const form = new FormData();
      const { openAsBlob } = await import('node:fs');
      form.append(
        'file',
        await openAsBlob(await makeClip(dir, { name: 'harbour', seconds: 2 })),
        'harbour.mp4',
      );
      form.append('title', 'Harbour at dusk');
      form.append('mp4_support', 'standard');
      const created = await server.api<{ data: Asset }>('/v1/assets', { method: 'POST', body: form });
      assert.equal(created.status, 202);
      const track = new FormData();
      track.append('language', 'en');
      track.append('name', 'English');
      track.append('file', new Blob([VTT]), 'en.vtt');
      const added = await server.api(`/v1/assets/${created.body.data.id}/tracks`, {
        method: 'POST',
        body: track,
      });
      assert.equal(added.status, 201);
      video = (await server.waitForAsset(
        created.body.data.id,
        (a) => isFinished(a) && (a as Asset).downloads[0]?.status === 'ready',
      )) as Asset;
      assert.equal(video.status, 'ready');

      const still = join(dir, 'quay.png');
      await writeFile(
        still,
        await sharp({ create: { width: 64, height: 48, channels: 3, background: '#369' } })
          .png()
          .toBuffer(),
      );
      photo = (await server.waitForAsset((await server.upload(still, 'Quay')).id, isFinished)) as Asset;
      assert.equal(photo.kind, 'image');
    });
    after(async () => {
      await server?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    /** Every way in to the asset from outside, with the status each answers. */
    const reachable = async (a: Asset) => {
      const pid = a.playback_ids[0]?.id ?? '';
      const play = `/play/${pid}`;
      const rung = a.renditions.find((r) => r.type === 'video')?.name;
      const paths = [
        `/v1/assets/${a.id}`,
        a.playback.hls,
        `${play}/${rung}/index.m3u8`,
        `${play}/${rung}/seg_00000.m4s`,
        a.playback.thumbnail,
        a.playback.storyboard,
        `${play}/info.json`,
        `${play}/download.mp4`,
        `${play}/subs/${a.tracks[0]?.id}/index.m3u8`,
        `/v1/assets/${a.id}/tracks`,
        `/v1/assets/${a.id}/tracks/${a.tracks[0]?.id}`,
      ];
      const out: Record<string, number> = {};
      for (const p of paths) out[p] = (await get(p)).status;
      out.token = (
        await server.api('/v1/playback-tokens', json({ playback_id: pid, expires_in: 60 }))
      ).status;
      return out;
    };

    test('DELETE moves the asset to the trash: 204, hidden everywhere, its objects kept', async () => {
      const before = await reachable(video);
      const renditions = video.renditions.map((r) => r.name).join(',');
      assert.ok(
        Object.values(before).every((s) => s === 200 || s === 201),
        `${renditions}: ${JSON.stringify(before)}`,
      );
      assert.ok((await library()).includes(video.id));

      assert.equal((await server.api(`/v1/assets/${video.id}`, { method: 'DELETE' })).status, 204);
      const gone = await get(`/v1/assets/${video.id}`);
      assert.deepEqual([gone.status, gone.body.error.code], [404, 'FH_ERR_ASSET_NOT_FOUND']);
      const after = await reachable(video);
      assert.deepEqual(
        Object.entries(after).filter(([, s]) => s !== 404),
        [],
        'every path answers 404',
      );
      const master = await get(video.playback.hls);
      assert.equal(master.body.error.code, 'FH_ERR_PLAYBACK_NOT_FOUND');
      // Lists, searches, filters.
      assert.ok(!(await library()).includes(video.id));
      assert.ok(!(await library('&q=harbour')).includes(video.id));
      assert.ok(!(await library('&status=ready')).includes(video.id));
      // Changes: 404 as for no asset.
      const patch = await server.api<ErrorBody>(`/v1/assets/${video.id}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'x' }),
      });
      assert.equal(patch.status, 404);
      const track = new FormData();
      track.append('language', 'fr');
      track.append('file', new Blob([VTT]), 'fr.vtt');
      assert.equal(
        (await server.api(`/v1/assets/${video.id}/tracks`, { method: 'POST', body: track })).status,
        404,
      );
      assert.equal(
        (await server.api(`/v1/assets/${video.id}/tracks/${video.tracks[0]?.id}`, { method: 'DELETE' }))
          .status,
        404,
      );
      assert.equal((await server.api(`/v1/assets/${video.id}`, { method: 'DELETE' })).status, 404);

      // Nothing is removed yet: the row (with its deletion time) and every object are kept.
      const r = await row(video.id);
      assert.ok(r?.deleted_at);
      for (const prefix of ['sources', 'hls', 'images', 'captions', 'downloads'])
        assert.ok(stored(prefix, video.id), `${prefix}/${video.id} kept`);

      // Caches in front purge by playback id; the audit trail says who.
      const events = await waitForValue(
        async () =>
          (
            await get<{ data: { type: string; data: { playback_ids: string[]; trash?: boolean } }[] }>(
              `/v1/events?type=asset.deleted&asset_id=${video.id}`,
            )
          ).body.data,
        (e) => e.length === 1,
        { what: 'the asset.deleted event' },
      );
      assert.deepEqual(events[0]?.data.playback_ids, [video.playback_ids[0]?.id]);
      assert.equal(events[0]?.data.trash, true);
    });

    test('the trash lists it with deleted_at and purge_after; an image in the trash renders nowhere', async () => {
      const listed = (await get<{ data: Trashed[] }>('/v1/assets?trashed=true')).body.data;
      assert.deepEqual(
        listed.map((a) => a.id),
        [video.id],
      );
      const [item] = listed;
      assert.ok(item?.deleted_at);
      assert.equal(item.purge_after, new Date(Date.parse(item.deleted_at) + 30 * DAY_MS).toISOString());
      // Outside the trash the fields are there, and null.
      const shown = (await get<{ data: Trashed }>(`/v1/assets/${photo.id}`)).body.data;
      assert.deepEqual([shown.deleted_at, shown.purge_after], [null, null]);

      const signed = `/img${signImgproxyPath(`/w:32/plain/assets/${photo.id}@webp`, keys)}`;
      assert.equal((await get(signed)).status, 200);
      assert.equal((await get(`/v1/assets/${photo.id}/variants/thumbnail`)).status, 200);
      assert.equal((await server.api(`/v1/assets/${photo.id}`, { method: 'DELETE' })).status, 204);
      assert.equal((await get(signed)).status, 404);
      assert.equal((await get(`/v1/assets/${photo.id}/variants/thumbnail`)).status, 404);
      // Newest deletion first; the pages follow deleted_at.
      assert.deepEqual(await trash(), [photo.id, video.id]);
      const first = await get<{ data: Trashed[]; next_cursor: string }>('/v1/assets?trashed=true&limit=1');
      assert.deepEqual(
        first.body.data.map((a) => a.id),
        [photo.id],
      );
      const second = await get<{ data: Trashed[]; next_cursor: string | null }>(
        `/v1/assets?trashed=true&limit=1&cursor=${first.body.next_cursor}`,
      );
      assert.deepEqual(
        second.body.data.map((a) => a.id),
        [video.id],
      );
      assert.equal(second.body.next_cursor, null);
      // Filters and searches apply within the trash too.
      assert.deepEqual(
        (await get<{ data: Trashed[] }>('/v1/assets?trashed=true&q=quay')).body.data.map((a) => a.id),
        [photo.id],
      );
    });

    test('restore: 200 with the asset as it was, playable again; 409 when not in the trash, 404 for none', async () => {
      const restored = await server.api<{ data: Trashed }>(`/v1/assets/${video.id}/restore`, {
        method: 'POST',
      });
      assert.equal(restored.status, 200);
      assert.equal(restored.body.data.id, video.id);
      assert.deepEqual([restored.body.data.deleted_at, restored.body.data.purge_after], [null, null]);
      assert.equal(restored.body.data.status, 'ready');
      const back = await reachable(video);
      assert.ok(
        Object.values(back).every((s) => s === 200 || s === 201),
        JSON.stringify(back),
      );
      assert.ok((await library()).includes(video.id));
      assert.deepEqual(await trash(), [photo.id]);

      const again = await server.api<ErrorBody>(`/v1/assets/${video.id}/restore`, { method: 'POST' });
      assert.deepEqual([again.status, again.body.error.code], [409, 'FH_ERR_ASSET_NOT_IN_TRASH']);
      const none = await server.api<ErrorBody>('/v1/assets/nosuchasset0000/restore', { method: 'POST' });
      assert.deepEqual([none.status, none.body.error.code], [404, 'FH_ERR_ASSET_NOT_FOUND']);

      const restoredEvents = await waitForValue(
        async () =>
          (
            await get<{ data: { data: { playback_ids: string[] } }[] }>(
              `/v1/events?type=asset.restored&asset_id=${video.id}`,
            )
          ).body.data,
        (e) => e.length === 1,
        { what: 'the asset.restored event' },
      );
      assert.deepEqual(restoredEvents[0]?.data.playback_ids, [video.playback_ids[0]?.id]);
      const audit = await get<{ data: { action: string }[] }>(`/v1/audit?target_id=${video.id}&limit=50`);
      const actions = audit.body.data.map((e) => e.action);
      assert.ok(actions.includes('asset.deleted') && actions.includes('asset.restored'), actions.join());
    });

    test('the purge: after the trash period (a clock of its own), one transaction per asset, then the objects', async () => {
      // The photo has been in the trash since the last test.
      const early = await purge(Date.now() + 29 * DAY_MS);
      assert.equal(early.purged, 0);
      assert.deepEqual(await trash(), [photo.id]);

      const due = await purge(Date.now() + 31 * DAY_MS);
      assert.equal(due.purged, 1);
      assert.equal(await row(photo.id), undefined);
      assert.deepEqual(await trash(), []);
      await waitFor(async () => !stored('sources', photo.id), {
        timeoutMs: 15_000,
        what: "the photo's objects",
      });
      // Idempotent: nothing left to do.
      assert.equal((await purge(Date.now() + 31 * DAY_MS)).purged, 0);
      const audit = await get<{ data: { action: string; actor: string }[] }>(
        `/v1/audit?target_id=${photo.id}&action=asset.purged`,
      );
      assert.deepEqual(
        audit.body.data.map((e) => e.actor),
        ['system:trash'],
      );
      // The restored video was never purged.
      assert.equal((await get(`/v1/assets/${video.id}`)).status, 200);
    });

    test('with backups in use: purged only after a succeeded backup taken since the deletion, never while one runs', async () => {
      assert.equal((await server.api(`/v1/assets/${video.id}`, { method: 'DELETE' })).status, 204);
      const deletedAt = Date.parse((await row(video.id))?.deleted_at ?? '');
      const now = deletedAt + 31 * DAY_MS;
      // A schedule set before any backup ran: nothing goes until one has succeeded.
      assert.deepEqual(await purge(now, true), { purged: 0, horizon: null, more: false });
      // A succeeded backup from before the deletion does not hold the asset as it is now.
      await insertBackup(server.db, {
        status: 'succeeded',
        snapshotAt: new Date(deletedAt - 60_000).toISOString(),
        heartbeatAt: new Date(deletedAt - 30_000).toISOString(),
      });
      assert.equal((await purge(now)).purged, 0);
      assert.ok(await row(video.id), 'kept, waiting on a backup');
      // One taken since has succeeded, but another is running (its heartbeat fresh at that time).
      await insertBackup(server.db, {
        status: 'succeeded',
        snapshotAt: new Date(deletedAt + 1000).toISOString(),
        heartbeatAt: new Date(deletedAt + 5000).toISOString(),
      });
      const running = await insertBackup(server.db, {
        status: 'running',
        snapshotAt: new Date(now - 5000).toISOString(),
        heartbeatAt: new Date(now - 5000).toISOString(),
      });
      assert.deepEqual(await purge(now), { purged: 0, horizon: null, more: false });
      assert.ok(await row(video.id), 'kept while a backup runs');
      await server.db.updateTable('backups').set({ status: 'failed' }).where('id', '=', running).execute();
      assert.equal((await purge(now)).purged, 1);
      assert.equal(await row(video.id), undefined);
      await waitFor(async () => !stored('hls', video.id) && !stored('downloads', video.id), {
        timeoutMs: 15_000,
        what: "the video's objects",
      });
      for (const prefix of ['sources', 'images', 'captions'])
        assert.ok(!stored(prefix, video.id), `${prefix}/${video.id} removed`);
    });

    test('the scheduled job purges too (assets.purge-trash, run by a worker); an admin may purge at once', async () => {
      const one = await server.upload(await makeClip(dir, { name: 'one', seconds: 1 }));
      const two = await server.upload(await makeClip(dir, { name: 'two', seconds: 1 }));
      for (const a of [one, two]) await server.waitForAsset(a.id, isFinished);
      for (const a of [one, two])
        assert.equal((await server.api(`/v1/assets/${a.id}`, { method: 'DELETE' })).status, 204);
      // `one` went to the trash long ago, and a backup taken since succeeded (the rows above).
      const longAgo = new Date(Date.now() - 31 * DAY_MS).toISOString();
      await server.db.updateTable('assets').set({ deleted_at: longAgo }).where('id', '=', one.id).execute();
      await insertBackup(server.db, {
        status: 'succeeded',
        snapshotAt: new Date(Date.parse(longAgo) + 1000).toISOString(),
        heartbeatAt: new Date(Date.parse(longAgo) + 2000).toISOString(),
      });
      // The schedule queues it an hour after the last; this one runs now.
      await enqueueJob(new JobQueue({ db: server.db }), server.db, purgeTrashSpec, {});
      await waitFor(async () => (await row(one.id)) === undefined, {
        timeoutMs: 30_000,
        what: 'the job to purge',
      });
      assert.ok(await row(two.id), 'still within its trash period');

      const purged = await server.api(`/v1/assets/${two.id}?permanent=true`, { method: 'DELETE' });
      assert.equal(purged.status, 204);
      assert.equal(await row(two.id), undefined);
      await waitFor(async () => !stored('sources', two.id), {
        timeoutMs: 15_000,
        what: "the objects of 'two'",
      });
      const audit = await get<{ data: { action: string; actor: string }[] }>(
        `/v1/audit?target_id=${two.id}&action=asset.purged`,
      );
      assert.equal(audit.body.data.length, 1);
      assert.equal(
        (await server.api(`/v1/assets/${two.id}?permanent=true`, { method: 'DELETE' })).status,
        404,
      );
    });

    test('a transcode still running when its asset is deleted finishes quietly: no failure, no resurrection', async () => {
      const clip = await makeClip(dir, { name: 'long', width: 1280, height: 720, seconds: 8 });
      const created = await server.upload(clip);
      await waitForValue(
        () =>
          server.db
            .selectFrom('jobs')
            .select('state')
            .where('type', '=', 'transcode')
            .where('payload', 'like', `%${created.id}%`)
            .executeTakeFirst(),
        (j) => j?.state === 'running',
        { timeoutMs: 60_000, what: 'the transcode to start' },
      );
      assert.equal((await server.api(`/v1/assets/${created.id}`, { method: 'DELETE' })).status, 204);
      const ended = await waitForValue(
        () =>
          server.db
            .selectFrom('jobs')
            .select(['type', 'state'])
            .where('payload', 'like', `%${created.id}%`)
            .execute(),
        (jobs) => jobs.every((j) => j.state === 'completed'),
        { timeoutMs: 120_000, what: "the asset's jobs to end" },
      );
      assert.ok(ended.some((j) => j.type === 'transcode'));
      const after = await row(created.id);
      assert.ok(after?.deleted_at, 'still in the trash');
      assert.equal(after?.status, 'ready', 'its work was kept');
      assert.equal((await get(`/v1/assets/${created.id}`)).status, 404);
      assert.ok(!(await library()).includes(created.id));
      // Restored, it plays as if it had never left.
      const restored = await server.api<{ data: Asset }>(`/v1/assets/${created.id}/restore`, {
        method: 'POST',
      });
      assert.equal(restored.body.data.status, 'ready');
      assert.equal((await get(restored.body.data.playback.hls)).status, 200);
    });
  });
}

describe('who sees and restores what in the trash; FRAMEHOUSE_TRASH_DAYS=0', () => {
  const ADMIN_KEY = 'trash-admin-key-0123456789abcdef';
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ FRAMEHOUSE_ADMIN_API_KEY: ADMIN_KEY });
  });
  after(() => server?.stop());

  async function as<T>(headers: Record<string, string>, path: string, init: RequestInit = {}) {
    const res = await fetch(new URL(path, server.url), { ...init, headers });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  }
  const editor = async (email: string) => ({
    cookie: await signUpWithRole(server, email, 'a long enough password', 'editor'),
    origin: server.url,
  });
  const upload = async (headers: Record<string, string>) => {
    const form = new FormData();
    form.append('file', new Blob([Buffer.from('not really a video')]), 'clip.mp4');
    const r = await as<{ data: { id: string } }>(headers, '/v1/assets', { method: 'POST', body: form });
    assert.equal(r.status, 202);
    return r.body.data.id;
  };

  test('editors see and restore their own; admins all; only admins delete forever', async () => {
    const ed = await editor('ed@example.com');
    const eve = await editor('eve@example.com');
    const admin = { authorization: `Bearer ${ADMIN_KEY}` };
    const eds = await upload(ed);
    const eves = await upload(eve);
    assert.equal((await as(eve, `/v1/assets/${eds}`, { method: 'DELETE' })).status, 403);
    for (const [who, id] of [
      [ed, eds],
      [eve, eves],
    ] as const)
      assert.equal((await as(who, `/v1/assets/${id}`, { method: 'DELETE' })).status, 204);

    const listed = async (h: Record<string, string>) =>
      (await as<{ data: { id: string }[] }>(h, '/v1/assets?trashed=true')).body.data.map((a) => a.id).sort();
    assert.deepEqual(await listed(ed), [eds]);
    assert.deepEqual(await listed(eve), [eves]);
    assert.deepEqual(await listed(admin), [eds, eves].sort());

    const refused = await as<ErrorBody>(eve, `/v1/assets/${eds}/restore`, { method: 'POST' });
    assert.deepEqual([refused.status, refused.body.error.code], [403, 'FH_ERR_NOT_OWNER']);
    const forever = await as<ErrorBody>(ed, `/v1/assets/${eds}?permanent=true`, { method: 'DELETE' });
    assert.deepEqual([forever.status, forever.body.error.code], [403, 'FH_ERR_FORBIDDEN']);
    assert.equal((await as(ed, `/v1/assets/${eds}/restore`, { method: 'POST' })).status, 200);
    assert.equal((await as(admin, `/v1/assets/${eves}/restore`, { method: 'POST' })).status, 200);
    assert.deepEqual(await listed(admin), []);
    // The app learns the trash period where it learns the rest.
    const instance = await as<{ data: { trash_days: number } }>({}, '/v1/instance');
    assert.equal(instance.body.data.trash_days, 30);
  });

  test('FRAMEHOUSE_TRASH_DAYS=0 deletes at once, as before', async () => {
    const zero = await startTestServer({ FRAMEHOUSE_TRASH_DAYS: '0' });
    try {
      const form = new FormData();
      form.append('file', new Blob([Buffer.from('not really a video')]), 'clip.mp4');
      const id = (await zero.api<{ data: { id: string } }>('/v1/assets', { method: 'POST', body: form })).body
        .data.id;
      assert.equal((await zero.api(`/v1/assets/${id}`, { method: 'DELETE' })).status, 204);
      assert.equal(
        await zero.db.selectFrom('assets').select('id').where('id', '=', id).executeTakeFirst(),
        undefined,
      );
      assert.deepEqual((await zero.api<{ data: unknown[] }>('/v1/assets?trashed=true')).body.data, []);
      assert.equal(
        (await zero.api<{ data: { trash_days: number } }>('/v1/instance')).body.data.trash_days,
        0,
      );
      await waitFor(() => !existsSync(join(zero.dataDir, 'objects', 'sources', id)), {
        timeoutMs: 15_000,
        what: 'the objects to be removed',
      });
    } finally {
      await zero.stop();
    }
  });
});
