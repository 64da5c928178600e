import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  isStale,
  presentBackup,
  presentSchedule,
  STOPPED_WITHOUT_FINISHING,
  targetWithoutCredentials,
} from './backup.presenter.ts';
import type { BackupRow } from './backups-read.repo.ts';

const NOW = Date.parse('2030-01-01T03:10:00.000Z');

const row = (over: Partial<BackupRow> = {}): BackupRow => ({
  id: '20300101T030000Z-k3x9qa',
  trigger: 'schedule',
  target: 's3://backups/framehouse?endpoint=http://minio:9000',
  status: 'succeeded',
  objects_mode: 'all',
  secrets_included: 1,
  node: 'worker-1-4242',
  started_at: '2030-01-01T03:00:00.000Z',
  snapshot_at: '2030-01-01T03:00:00.250Z',
  finished_at: '2030-01-01T03:02:30.500Z',
  heartbeat_at: '2030-01-01T03:02:30.500Z',
  database_bytes: 52_000,
  size_bytes: 1_052_000,
  objects_total: 40,
  objects_bytes: 90_000_000,
  objects_copied: 3,
  verification: 'passed',
  verification_problems: null,
  error_code: null,
  error_message: null,
  ...over,
});

describe('a backup as the API shows it', () => {
  test('a succeeded run: every field of the contract, its duration from start to finish', () => {
    assert.deepEqual(presentBackup(row(), NOW), {
      id: '20300101T030000Z-k3x9qa',
      trigger: 'schedule',
      status: 'succeeded',
      target: 's3://backups/framehouse?endpoint=http://minio:9000',
      objects: 'all',
      secrets_included: true,
      node: 'worker-1-4242',
      started_at: '2030-01-01T03:00:00.000Z',
      snapshot_at: '2030-01-01T03:00:00.250Z',
      finished_at: '2030-01-01T03:02:30.500Z',
      duration_ms: 150_500,
      size_bytes: 1_052_000,
      database_bytes: 52_000,
      objects_total: 40,
      objects_copied: 3,
      objects_bytes: 90_000_000,
      verification: 'passed',
      verification_problems: [],
      error: null,
    });
  });

  test('a failed verification lists its problems; the error is code and message', () => {
    const b = presentBackup(
      row({
        status: 'failed',
        verification: 'failed',
        verification_problems: JSON.stringify([
          'objects/sha256/ab/ab12…: missing',
          'database/003-assets.ndjson.gz: sha256 differs',
        ]),
        error_code: 'FH_ERR_BACKUP_INCOMPLETE',
        error_message: 'The verification found 2 problems.',
      }),
      NOW,
    );
    assert.equal(b.status, 'failed');
    assert.deepEqual(b.verification_problems, [
      'objects/sha256/ab/ab12…: missing',
      'database/003-assets.ndjson.gz: sha256 differs',
    ]);
    assert.deepEqual(b.error, {
      code: 'FH_ERR_BACKUP_INCOMPLETE',
      message: 'The verification found 2 problems.',
    });
  });

  test('bigint columns read as strings (as some drivers give them) are numbers', () => {
    const b = presentBackup(row({ size_bytes: '9007199254740' as unknown as number }), NOW);
    assert.equal(b.size_bytes, 9_007_199_254_740);
  });
});

describe('the stale-running rule', () => {
  const running = (heartbeatAgoMs: number) =>
    row({
      status: 'running',
      finished_at: null,
      verification: null,
      size_bytes: null,
      heartbeat_at: new Date(NOW - heartbeatAgoMs).toISOString(),
    });

  test('a heartbeat within 60 s: running, no duration yet, no error', () => {
    const b = presentBackup(running(59_999), NOW);
    assert.equal(b.status, 'running');
    assert.equal(b.duration_ms, null);
    assert.equal(b.error, null);
    assert.equal(isStale(running(60_000), NOW), false, 'exactly 60 s is still fresh');
  });

  test('a heartbeat older than 60 s: failed, "stopped without finishing" (FH_ERR_BACKUP_TARGET)', () => {
    assert.equal(isStale(running(60_001), NOW), true);
    const b = presentBackup(running(5 * 60_000), NOW);
    assert.equal(b.status, 'failed');
    assert.deepEqual(b.error, STOPPED_WITHOUT_FINISHING);
    assert.equal(b.error?.code, 'FH_ERR_BACKUP_TARGET');
    assert.match(b.error?.message ?? '', /stopped without finishing/);
    assert.equal(b.finished_at, null);
  });

  test('only running rows go stale: a finished one keeps its status whatever its heartbeat', () => {
    assert.equal(isStale(row({ heartbeat_at: '2020-01-01T00:00:00.000Z' }), NOW), false);
    assert.equal(presentBackup(row({ heartbeat_at: '2020-01-01T00:00:00.000Z' }), NOW).status, 'succeeded');
  });
});

describe('the schedule as the admin page shows it', () => {
  const settings = {
    cron: '*/10 * * * * *',
    target: '/srv/backups',
    keep: 7,
    objects: 'all' as const,
    passphrase: undefined,
  };

  test('the expression, the next run, what it keeps; no schedule: null', () => {
    assert.deepEqual(presentSchedule(settings, Date.parse('2030-01-01T00:00:03.000Z')), {
      cron: '*/10 * * * * *',
      next_run_at: '2030-01-01T00:00:10.000Z',
      target: '/srv/backups',
      keep: 7,
      objects: 'all',
      secrets_included: false,
    });
    assert.equal(presentSchedule({ ...settings, cron: undefined }, NOW), null);
    assert.equal(
      presentSchedule({ ...settings, passphrase: 'a long passphrase' }, NOW)?.secrets_included,
      true,
    );
  });

  test('a target never shows credentials', () => {
    assert.equal(targetWithoutCredentials('/srv/backups'), '/srv/backups');
    assert.equal(
      targetWithoutCredentials('s3://key:secret@bucket/prefix?endpoint=http://127.0.0.1:9000&token=abc'),
      's3://bucket/prefix?endpoint=http://127.0.0.1:9000',
    );
    assert.equal(targetWithoutCredentials('s3://bucket/prefix?token=abc'), 's3://bucket/prefix');
  });
});
