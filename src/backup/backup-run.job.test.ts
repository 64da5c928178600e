import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../config/config.ts';
import { openTestDatabase, type TestDatabase } from '../db/test-databases.ts';
import { readOutbox } from '../events/outbox.ts';
import type { JobContext } from '../queue/jobs.ts';
import { createObjectStore } from '../storage/create-store.ts';
import { runBackup } from './backup.service.ts';
import { backupRunJob, type RunScheduledBackup } from './backup-run.job.ts';
import type { BackupRunPayload } from './backup-schedule.ts';
import type { BackupSettings } from './backups-read.service.ts';

const NODE = 'test-node-1';
const errorOf = (event: { data: Record<string, unknown> } | undefined) =>
  (event?.data.error ?? {}) as { code?: string; message?: string };
const CRON = '0 3 * * *';

describe('the backup.run job, with the real engine on SQLite', () => {
  let t: TestDatabase;
  let dir: string;
  let run: RunScheduledBackup;

  beforeEach(async () => {
    t = await openTestDatabase('sqlite');
    dir = await mkdtemp(join(tmpdir(), 'fh-backup-job-'));
    const store = await createObjectStore(`file:${join(dir, 'store')}`);
    const config = loadConfig(
      { FRAMEHOUSE_LOG_LEVEL: 'silent', DATABASE_URL: t.url },
      { dataDir: join(dir, 'data') },
    );
    run = (req) => runBackup({ db: t.db, store, config, node: NODE }, req);
  });
  afterEach(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  const job = (settings: Partial<BackupSettings> = {}) =>
    backupRunJob({
      db: t.db,
      settings: {
        cron: CRON,
        target: join(dir, 'target'),
        keep: 3,
        objects: 'all',
        passphrase: undefined,
        ...settings,
      },
      node: NODE,
      run,
      poolVisibilityTimeoutMs: 60_000,
    });
  const context = (payload: BackupRunPayload): JobContext<BackupRunPayload> => ({
    id: 'job-1',
    payload,
    attempt: 1,
    maxAttempts: 1,
    signal: new AbortController().signal,
    heartbeat: async () => {},
    log: pino({ level: 'silent' }),
  });
  const slot = () => ({ slot: new Date().toISOString(), cron: CRON });
  const events = async () =>
    (await readOutbox(t.db, 0, 100)).events.map((e) => ({
      type: e.type,
      data: JSON.parse(e.data) as Record<string, unknown>,
    }));
  const rows = () => t.db.selectFrom('backups').selectAll().orderBy('started_at').execute();

  test('one attempt, a lease that outlasts the row’s staleness', () => {
    const j = job();
    assert.equal(j.maxAttempts, 1);
    assert.ok((j.visibilityTimeoutMs ?? 0) >= 120_000);
  });

  test('a run: its row, and backup.succeeded with what it wrote', async () => {
    await job().handler(context(slot()));
    const [row] = await rows();
    assert.equal(row?.status, 'succeeded', row?.error_message ?? '');
    assert.equal(row?.trigger, 'schedule');
    assert.equal(row?.node, NODE);
    const [event] = await events();
    assert.equal(event?.type, 'backup.succeeded');
    assert.equal(event?.data.backup_id, row?.id);
    assert.equal(event?.data.verification, 'passed');
    assert.equal(event?.data.target, undefined, 'the target is for admins, not for every event reader');
  });

  test('a target that cannot be written: a failed row, backup.failed, and the job itself completes', async () => {
    await writeFile(join(dir, 'a-file'), 'x');
    await job({ target: join(dir, 'a-file', 'backups') }).handler(context(slot()));
    const [row] = await rows();
    assert.equal(row?.status, 'failed');
    const [event] = await events();
    assert.equal(event?.type, 'backup.failed');
    assert.equal(event?.data.backup_id, row?.id);
    assert.deepEqual(event?.data.error, { code: row?.error_code, message: row?.error_message });
  });

  test('a passphrase the engine refuses before recording anything: still announced', async () => {
    await job({ passphrase: 'short' }).handler(context(slot()));
    assert.deepEqual(await rows(), []);
    const [event] = await events();
    assert.equal(event?.type, 'backup.failed');
    assert.equal(event?.data.backup_id, null);
    assert.equal(errorOf(event).code, 'FH_ERR_BACKUP_PASSPHRASE');
  });

  test('skipped: a slot of another schedule, or while another backup runs', async () => {
    await job().handler(context({ ...slot(), cron: '0 4 * * *' }));
    await job({ cron: undefined }).handler(context(slot()));
    assert.deepEqual(await rows(), []);
    await t.db
      .insertInto('backups')
      .values({
        id: 'cli-run',
        trigger: 'cli',
        target: '/elsewhere',
        status: 'running',
        objects_mode: 'all',
        started_at: new Date().toISOString(),
        heartbeat_at: new Date().toISOString(),
      })
      .execute();
    await job().handler(context(slot()));
    assert.equal((await rows()).length, 1, 'no second run beside the running one');
    assert.deepEqual(await events(), [], 'a skipped slot is no failure');
  });

  test('onDead: the slot’s run stopped without finishing (its worker died) is announced once', async () => {
    const s = { slot: '2020-01-01T03:00:00.000Z', cron: CRON };
    const insert = (heartbeatAt: string) =>
      t.db
        .insertInto('backups')
        .values({
          id: '20200101T030000Z-dead01',
          trigger: 'schedule',
          target: '/srv/backups',
          status: 'running',
          objects_mode: 'all',
          node: NODE,
          started_at: '2020-01-01T03:00:00.100Z',
          heartbeat_at: heartbeatAt,
        })
        .execute();
    // Its heartbeat is fresh: someone may still be at work, nothing is said.
    await insert(new Date().toISOString());
    await job().onDead?.(s, 'lease expired 1 times; the worker died or the job hangs');
    assert.deepEqual(await events(), []);
    // Stale: it stopped.
    await t.db.updateTable('backups').set({ heartbeat_at: '2020-01-01T03:00:10.000Z' }).execute();
    await job().onDead?.(s, 'lease expired 1 times; the worker died or the job hangs');
    const [event] = await events();
    assert.equal(event?.type, 'backup.failed');
    assert.equal(event?.data.backup_id, '20200101T030000Z-dead01');
    assert.equal(errorOf(event).code, 'FH_ERR_BACKUP_TARGET');
  });

  test('onDead without a run of the slot: the slot did not run, and says why', async () => {
    await job().onDead?.({ slot: '2020-01-01T03:00:00.000Z', cron: CRON }, 'lease expired 1 times');
    const [event] = await events();
    assert.equal(event?.type, 'backup.failed');
    assert.equal(event?.data.backup_id, null);
    assert.match(errorOf(event).message ?? '', /did not run: lease expired/);
  });
});
