import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../config/config.ts';
import { migrations } from '../db/migrations/index.ts';
import { openTestDatabase, postgresSkip, TEST_DIALECTS } from '../db/test-databases.ts';
import { AppError } from '../shared/errors.ts';
import { isoNow } from '../shared/time.ts';
import { createObjectStore } from '../storage/create-store.ts';
import { type BackupProgress, listBackupsInTarget, runBackup } from './backup.service.ts';

const code = (err: unknown) => (err instanceof AppError ? err.code : String(err));

for (const dialect of TEST_DIALECTS) {
  test(`runBackup records its run: running, then succeeded with what it wrote, or failed with a code (${dialect})`, {
    skip: postgresSkip(dialect),
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fh-backup-svc-'));
    const t = await openTestDatabase(dialect);
    try {
      const config = loadConfig({
        DATABASE_URL: t.url,
        STORAGE_URL: `file:${join(dir, 'objects')}`,
        FRAMEHOUSE_DATA_DIR: join(dir, 'data'),
      });
      const store = await createObjectStore(config.storageUrl);
      for (let i = 0; i < 5; i++) await store.put(`images/a/${i}.jpg`, `image ${i}`);
      const deps = { db: t.db, store, config, node: 'node-1' };
      const phases = new Set<BackupProgress['phase']>();
      const s = await runBackup(deps, {
        target: join(dir, 'backups'),
        objects: 'all',
        trigger: 'schedule',
        keep: 3,
        onProgress: (p) => phases.add(p.phase),
      });
      assert.deepEqual([...phases].sort(), ['database', 'inventory', 'objects', 'prune', 'verify']);
      assert.equal(s.status, 'succeeded');
      assert.equal(s.trigger, 'schedule');
      assert.equal(s.node, 'node-1');
      assert.equal(s.target, join(dir, 'backups'));
      assert.equal(s.verification, 'passed');
      assert.deepEqual(JSON.parse(s.verification_problems ?? 'null'), []);
      assert.equal(s.objects_total, 5);
      assert.equal(s.objects_copied, 5);
      assert.ok((s.database_bytes ?? 0) > 0 && (s.size_bytes ?? 0) > (s.database_bytes ?? 0));
      assert.ok(s.snapshot_at && s.snapshot_at >= s.started_at && (s.finished_at ?? '') >= s.snapshot_at);
      // The newest migration this version knows (the one every test database is migrated to).
      assert.equal(s.manifest.migration, Object.keys(migrations).at(-1));
      assert.equal(s.manifest.dialect, dialect);
      assert.equal(s.secrets_included, 0);
      const row = await t.db
        .selectFrom('backups')
        .selectAll()
        .where('id', '=', s.id)
        .executeTakeFirstOrThrow();
      assert.equal(row.status, 'succeeded');
      assert.equal(Number(row.objects_bytes), 5 * 7);

      // A second run, listed first.
      const second = await runBackup(deps, { target: join(dir, 'backups'), objects: 'none', trigger: 'cli' });
      assert.equal(second.objects_copied, 0);
      assert.deepEqual(
        (await listBackupsInTarget(join(dir, 'backups'))).map((b) => [b.id, b.manifest.objects]),
        [
          [second.id, 'none'],
          [s.id, 'all'],
        ],
      );

      // A target that cannot be written: a failed row with its code, and the same code thrown.
      const file = join(dir, 'a-file');
      await writeFile(file, 'not a folder');
      const failed = await runBackup(deps, {
        target: join(file, 'backups'),
        objects: 'all',
        trigger: 'schedule',
      }).then(
        () => assert.fail('should fail'),
        (err: unknown) => err,
      );
      assert.equal(code(failed), 'FH_ERR_BACKUP_TARGET');
      const id = ((failed as AppError).details as { backup_id: string }).backup_id;
      const failedRow = await t.db
        .selectFrom('backups')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      assert.equal(failedRow.status, 'failed');
      assert.equal(failedRow.error_code, 'FH_ERR_BACKUP_TARGET');
      assert.ok(failedRow.error_message);
      assert.ok(failedRow.finished_at);

      // Inside the store it backs up: refused (it would copy itself), recorded.
      await assert.rejects(
        runBackup(deps, { target: join(dir, 'objects', 'backups'), objects: 'all', trigger: 'cli' }),
        (err: unknown) =>
          code(err) === 'FH_ERR_BACKUP_TARGET' && /inside the store/.test((err as Error).message),
      );

      // One at a time: a running backup with a fresh heartbeat refuses another; a passphrase too short is refused.
      await t.db
        .insertInto('backups')
        .values({
          id: 'other-run',
          trigger: 'schedule',
          target: 'x',
          status: 'running',
          objects_mode: 'all',
          node: 'node-2',
          started_at: isoNow(),
          heartbeat_at: isoNow(),
        })
        .execute();
      await assert.rejects(
        runBackup(deps, { target: join(dir, 'backups'), objects: 'all', trigger: 'cli' }),
        (err: unknown) => code(err) === 'FH_ERR_BACKUP_RUNNING',
      );
      await assert.rejects(
        runBackup(deps, {
          target: join(dir, 'backups'),
          objects: 'all',
          trigger: 'cli',
          passphrase: 'short',
        }),
        (err: unknown) => code(err) === 'FH_ERR_BACKUP_PASSPHRASE',
      );
    } finally {
      await t.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
}

test('an aborted backup stops, is recorded as failed, and leaves no partial backup behind', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fh-backup-abort-'));
  const t = await openTestDatabase('sqlite');
  try {
    const config = loadConfig({
      DATABASE_URL: t.url,
      STORAGE_URL: `file:${join(dir, 'objects')}`,
      FRAMEHOUSE_DATA_DIR: dir,
    });
    const store = await createObjectStore(config.storageUrl);
    for (let i = 0; i < 50; i++) await store.put(`hls/a/${i}.m4s`, `segment ${i}`);
    const controller = new AbortController();
    const failed = await runBackup(
      { db: t.db, store, config, node: 'n' },
      {
        target: join(dir, 'backups'),
        objects: 'all',
        trigger: 'cli',
        signal: controller.signal,
        onProgress: (p) => {
          if (p.phase === 'inventory' && p.done === 10) controller.abort();
        },
      },
    ).catch((err: unknown) => err);
    assert.equal(code(failed), 'FH_ERR_BACKUP_TARGET');
    assert.deepEqual(await listBackupsInTarget(join(dir, 'backups')), []);
    const target = await createObjectStore(`file:${join(dir, 'backups')}`);
    assert.deepEqual(await target.list('backups/'), [], 'the partial backup removed');
    const row = await t.db.selectFrom('backups').select(['status', 'error_code']).executeTakeFirstOrThrow();
    assert.deepEqual({ ...row }, { status: 'failed', error_code: 'FH_ERR_BACKUP_TARGET' });
  } finally {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  }
});
