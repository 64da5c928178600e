import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { postgresSkip } from '../src/db/test-databases.ts';
import { makeClip } from './fixtures/media.ts';
import { dumpedRows, folderArchive, inventoryOf, newestBackup } from './helpers/backup-archive.ts';
import { Client, framehouseCli, ServeProcess, sha256 } from './helpers/backup-fixtures.ts';
import {
  diffObjects,
  embeddedSite,
  type Site,
  type StoredObject,
  scaleOutSite,
  workDir,
} from './helpers/backup-sites.ts';
import { ADMIN_KEY, finished, waitForAsset, waitForQuiet } from './helpers/backup-state.ts';
import { GatedUpload } from './helpers/gated-tus.ts';
import type { AssetBody } from './helpers/server.ts';
import { waitForValue } from './helpers/wait.ts';

// A backup taken from a running `serve` while 4 resumable uploads and a transcode are under way
// (docs/operations.md: "Consistency", "Never blocks uploads or playback", restore step 6):
// - the uploads and the transcode go on while the backup runs, and all finish without an error;
// - restored into an empty site, every asset that was ready in the backup plays: every object
//   its playlists name is there, with the SHA-256 the inventory holds;
// - the asset that was transcoding is finished by the restored site's own jobs;
// - the unfinished uploads are reported by the restore and gone from the restored site;
// - the restore's verification reports no problem.

const SETTINGS = {
  FRAMEHOUSE_ADMIN_API_KEY: ADMIN_KEY,
  // One job at a time: the long transcode holds the worker while the backup runs.
  FRAMEHOUSE_WORKER_CONCURRENCY: '1',
  // A job leased by the source's worker is taken up by the restored site's soon after.
  FRAMEHOUSE_JOB_VISIBILITY_TIMEOUT_MS: '5000',
};

/** Every object a stored master playlist names, through its media playlists (keys in the store). */
async function objectsNamedBy(read: (key: string) => Promise<string>, assetId: string): Promise<string[]> {
  const base = `hls/${assetId}/`;
  const master = await read(`${base}master.m3u8`);
  const uris = (text: string) => [
    ...[...text.matchAll(/URI="([^"]+)"/g)].map((m) => m[1] ?? ''),
    ...text.split('\n').filter((l) => l.trim() && !l.startsWith('#')),
  ];
  const named = [`${base}master.m3u8`];
  for (const playlist of uris(master)) {
    named.push(`${base}${playlist}`);
    const dir = playlist.slice(0, playlist.lastIndexOf('/') + 1);
    for (const uri of uris(await read(`${base}${playlist}`))) named.push(`${base}${dir}${uri}`);
  }
  return named;
}

const SITES = [
  { label: 'SQLite + local folder', make: embeddedSite, skip: false as const },
  { label: 'PostgreSQL + S3', make: scaleOutSite, skip: postgresSkip('postgres') },
];

for (const kind of SITES)
  describe(`a backup taken while 4 uploads and a transcode run is consistent (${kind.label})`, {
    skip: kind.skip,
  }, () => {
    let work: string;
    let source: Site;
    let restored: Site;
    let server: ServeProcess;
    let uploads: GatedUpload[] = [];

    before(async () => {
      work = await workDir(tmpdir(), 'backup-consistency');
      source = await kind.make(work, 'source');
      restored = await kind.make(work, 'restored');
      server = await ServeProcess.ports({ ...SETTINGS, ...source.env });
    });
    after(async () => {
      for (const u of uploads) await u.abort();
      await server?.kill();
      await source?.close();
      await restored?.close();
      await rm(work, { recursive: true, force: true });
    });

    test('uploads and the transcode go on during the backup; the restore has every ready asset, finishes the rest, drops the unfinished uploads', {
      timeout: 900_000,
    }, async (t) => {
      const started = Date.now();
      const target = join(work, 'backups');
      await server.start();
      const api = new Client(server.url, ADMIN_KEY);
      const upload = async (file: string, title: string) => {
        const form = new FormData();
        form.append('title', title);
        form.append('file', new Blob([await readFile(file)]), file.split('/').pop());
        const res = await api.call<{ data: AssetBody }>('/v1/assets', { method: 'POST', body: form });
        assert.equal(res.status, 202, JSON.stringify(res.body));
        return res.body.data.id;
      };

      // Two videos ready before the backup.
      const readyIds = [
        await upload(await makeClip(work, { name: 'pier', width: 320, height: 240, seconds: 2 }), 'Pier'),
        await upload(await makeClip(work, { name: 'gulls', width: 320, height: 180, seconds: 3 }), 'Gulls'),
      ];
      for (const id of readyIds) await waitForAsset(api, id);

      // Four resumable uploads, created now and held until the transcode is under way; then each
      // goes on at a steady pace through the backup.
      const clip = await readFile(
        await makeClip(work, { name: 'walk', width: 320, height: 240, seconds: 3, grain: 20 }),
      );
      uploads = [1, 2, 3, 4].map(
        (n) =>
          new GatedUpload(`${server.url}/v1/uploads`, clip, {
            key: ADMIN_KEY,
            filename: `walk-${n}.mp4`,
            chunkSize: 64 * 1024,
            tickMs: 300,
            capRatio: 0.8,
          }),
      );
      // A long transcode, under way when the backup starts.
      const long = await upload(
        await makeClip(work, { name: 'ferry', width: 640, height: 360, seconds: 40 }),
        'Ferry',
      );
      const asset = (id: string) => api.get<{ data: AssetBody }>(`/v1/assets/${id}`).then((r) => r.data);
      // Under way: the ladder part done (the asset may be playable, `ready`, already: the first
      // rung publishes before the others finish).
      await waitForValue(
        () => asset(long),
        (a) => (a.progress ?? 0) > 0.05 && (a.progress ?? 0) < 1,
        {
          timeoutMs: 120_000,
          what: 'the long transcode to be under way',
        },
      );

      for (const u of uploads) u.slow();
      await waitForValue(
        () => Math.min(...uploads.map((u) => u.accepted.length)),
        (n) => n >= 2,
        {
          timeoutMs: 30_000,
          what: 'every upload to have sent two chunks',
        },
      );

      // The backup, with playback asked for all along (its slowest answer is what a viewer waits).
      const readyPlayback = (await asset(readyIds[0] ?? '')).playback.hls;
      let backupRunning = true;
      const playbackMs: number[] = [];
      const watcher = (async () => {
        while (backupRunning) {
          const at = Date.now();
          const res = await fetch(new URL(readyPlayback, server.url));
          await res.arrayBuffer();
          assert.equal(res.status, 200);
          playbackMs.push(Date.now() - at);
          await sleep(100);
        }
      })();
      const progressBefore = (await asset(long)).progress ?? 0;
      const backupStart = Date.now();
      const backup = await framehouseCli(['backup', '--to', target], server.env);
      const backupEnd = Date.now();
      backupRunning = false;
      await watcher;
      const progressAfter = (await asset(long)).progress ?? 0;
      assert.equal(backup.code, 0, `backup failed:\n${backup.stdout}\n${backup.stderr}`);
      t.diagnostic(`backup in ${backup.ms} ms: ${backup.stdout.trim()}`);

      // Nothing was held up while it ran.
      for (const u of uploads) {
        assert.ok(
          u.acceptedAt(backupEnd) > u.acceptedAt(backupStart),
          `upload ${u.id} went on during the backup (${u.acceptedAt(backupStart)} → ${u.acceptedAt(backupEnd)} bytes)`,
        );
      }
      assert.ok(
        progressAfter > progressBefore,
        `the transcode went on (${progressBefore} → ${progressAfter})`,
      );
      const slowest = Math.max(...playbackMs);
      t.diagnostic(
        `during the backup: ${playbackMs.length} playlist requests, slowest ${slowest} ms; uploads at ${uploads.map((u) => `${u.acceptedAt(backupStart)}→${u.acceptedAt(backupEnd)}`).join(', ')} bytes; transcode ${progressBefore.toFixed(2)}→${progressAfter.toFixed(2)}`,
      );
      assert.ok(slowest < 3000, `playback answered within 3 s throughout (slowest ${slowest} ms)`);

      // Then everything finishes on the source, without an error.
      const unfinishedIds = uploads.map((u) => u.id);
      for (const u of uploads) u.open();
      const done = await Promise.all(uploads.map((u) => u.done));
      assert.equal(done.length, 4);
      const fromUploads = await Promise.all(
        unfinishedIds.map(
          async (id) => (await api.get<{ data: { asset_id: string } }>(`/v1/uploads/${id}`)).data.asset_id,
        ),
      );
      for (const id of [long, ...fromUploads]) await waitForAsset(api, id, 300_000);
      await waitForQuiet(api, 300_000);
      await server.stop();

      // What the backup holds: the snapshot's statuses, the unfinished uploads, the inventory.
      const archive = folderArchive(target);
      const { id: backupId, manifest } = await newestBackup(archive);
      const dumpedAssets = await dumpedRows(archive, backupId, 'assets');
      const statuses = new Map(dumpedAssets.map((r) => [String(r.id), `${r.status} ${r.progress}`]));
      // Ready at the snapshot: playable. Complete: ready with the whole ladder (progress 1); a
      // ready asset whose other rungs were still encoding, like anything else not errored, was
      // being worked on, and the restored site's jobs must finish it.
      const complete = (r: Record<string, unknown>) => r.status === 'ready' && Number(r.progress) === 1;
      const readyInBackup = dumpedAssets.filter((r) => r.status === 'ready').map((r) => String(r.id));
      const completeInBackup = dumpedAssets.filter(complete).map((r) => String(r.id));
      const processing = dumpedAssets
        .filter((r) => !complete(r) && r.status !== 'errored')
        .map((r) => String(r.id));
      const inventory = await inventoryOf(archive, backupId);
      const dumpedUploads = await dumpedRows(archive, backupId, 'uploads');
      t.diagnostic(
        `backup ${backupId}: ${manifest.counts.objects} objects, ${manifest.counts.object_bytes} bytes; assets ${JSON.stringify(Object.fromEntries(statuses))}`,
      );
      assert.deepEqual(
        readyIds.filter((id) => !completeInBackup.includes(id)),
        [],
        'the first two were finished',
      );
      assert.ok(processing.includes(long), 'the long transcode was under way at the snapshot');
      for (const id of unfinishedIds) {
        const row = dumpedUploads.find((r) => r.id === id);
        assert.ok(row && row.completed_at === null, `upload ${id} was unfinished at the snapshot`);
      }

      // Restored into an empty site.
      const restore = await framehouseCli(['restore', '--from', target], { ...server.env, ...restored.env });
      assert.equal(restore.code, 0, `restore failed:\n${restore.stdout}\n${restore.stderr}`);
      t.diagnostic(`restore in ${restore.ms} ms: ${restore.stdout.trim()}`);
      const said = `${restore.stdout}\n${restore.stderr}`;
      for (const id of unfinishedIds)
        assert.ok(said.includes(id), `the restore reports unfinished upload ${id}:\n${said}`);

      // The store holds exactly the inventory, byte for byte (read here, not through the restore),
      // but for what an unfinished upload had staged in it (S3 stages under tus/ in the bucket):
      // an upload that is gone must not be resumable from leftovers that cannot complete.
      const walked = await restored.walk();
      const staged = (key: string) => unfinishedIds.some((id) => key.startsWith(`tus/${id}`));
      const expected = new Map([...inventory].filter(([key]) => !staged(key)));
      assert.deepEqual(diffObjects(expected, walked), []);
      const read = async (key: string) => {
        const o = walked.get(key);
        assert.ok(o, `${key} is in the restored store`);
        return (await restored.read(key)).toString('utf8');
      };
      // Before anything runs on it: every complete asset's playlists name only objects the
      // backup holds, as they were.
      const unheld = async (id: string) => {
        const named = await objectsNamedBy(read, id);
        assert.ok(named.length > 3, `asset ${id} names its segments`);
        return named
          .filter((key) => walked.get(key)?.sha256 !== inventory.get(key)?.sha256 || !inventory.has(key))
          .map((key) => `${key}: ${inventory.has(key) ? 'different' : 'not in the backup'}`);
      };
      for (const id of completeInBackup) assert.deepEqual(await unheld(id), [], `asset ${id}`);
      // A ready asset whose other rungs were still encoding was playable at the snapshot; its
      // playlists were copied after the listing passed its segments, so they can name a segment
      // written in between: the inventory's second listing pools those (object-inventory.ts).
      const midLadder = readyInBackup.filter((id) => !completeInBackup.includes(id));
      const missing = (await Promise.all(midLadder.map(unheld))).flat();
      assert.deepEqual(
        missing,
        [],
        'a ready asset still encoding at the snapshot names only objects the backup holds',
      );

      // A server on the restored site: the complete assets play, the rest is finished by its jobs.
      await server.start(restored.env);
      const restoredApi = new Client(server.url, ADMIN_KEY);
      for (const id of completeInBackup) {
        const a = (await restoredApi.get<{ data: AssetBody }>(`/v1/assets/${id}`)).data;
        assert.ok(finished(a) && a.status === 'ready', `asset ${id} is ready on the restored site`);
        const named = await objectsNamedBy(read, id);
        const prefix = `hls/${id}/`;
        const playBase = a.playback.hls.replace('master.m3u8', '');
        for (const key of named) {
          const res = await fetch(new URL(`${playBase}${key.slice(prefix.length)}`, server.url));
          const bytes = Buffer.from(await res.arrayBuffer());
          assert.equal(res.status, 200, `${key} plays`);
          if (!key.endsWith('.m3u8')) assert.equal(sha256(bytes), inventory.get(key)?.sha256, key);
        }
      }
      for (const id of processing) {
        const a = await waitForValue(
          () => restoredApi.get<{ data: AssetBody }>(`/v1/assets/${id}`).then((r) => r.data),
          finished,
          {
            timeoutMs: 300_000,
            intervalMs: 500,
            what: () => `asset ${id} to be finished on the restored site: ${server.log().slice(-2000)}`,
          },
        );
        assert.equal(a.status, 'ready', JSON.stringify(a.errors));
        const named = await objectsNamedBy(async (key) => (await restored.read(key)).toString('utf8'), id);
        const now = await restored.walk();
        assert.deepEqual(
          named.filter((k) => !now.has(k)),
          [],
          `every object asset ${id}'s playlists name`,
        );
      }
      // The unfinished uploads are gone; their clients would start again.
      for (const id of unfinishedIds) {
        assert.equal((await restoredApi.call(`/v1/uploads/${id}`)).status, 404, `upload ${id}`);
        const head = await fetch(`${server.url}/v1/uploads/${id}`, {
          method: 'HEAD',
          headers: { 'tus-resumable': '1.0.0', authorization: `Bearer ${ADMIN_KEY}` },
        });
        assert.equal(head.status, 404, `tus HEAD of upload ${id}`);
      }
      await server.stop();
      const objects = [...walked.values()];
      t.diagnostic(
        `restored ${objects.length} objects, ${objects.reduce((n, o: StoredObject) => n + o.size, 0)} bytes; ${readyInBackup.length} ready assets checked in the store (${completeInBackup.length} complete, played), ${processing.length} finished after the restore; ${Date.now() - started} ms in all`,
      );
    });
  });
