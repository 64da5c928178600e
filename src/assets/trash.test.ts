import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type BackupState, DAY_MS, purgeAfter, purgeHorizon, purgeVerdict } from './trash.ts';

const deleted = '2026-03-01T12:00:00.000Z';
const at = (iso: string) => Date.parse(iso);
const noBackups: BackupState = { inUse: false, lastSnapshotAt: null, running: false };

test('purge_after is the deletion plus the trash period', () => {
  assert.equal(purgeAfter(deleted, 30), '2026-03-31T12:00:00.000Z');
  assert.equal(purgeAfter(deleted, 0), deleted);
});

test('without backups: purged once the trash period is over, not a millisecond before', () => {
  const end = at(deleted) + 30 * DAY_MS;
  assert.equal(purgeVerdict(deleted, end - 1, 30, noBackups), 'in-trash');
  assert.equal(purgeVerdict(deleted, end, 30, noBackups), 'purge');
  assert.equal(purgeVerdict(deleted, end + DAY_MS, 30, noBackups), 'purge');
  // The horizon says the same to a query: deleted_at < horizon.
  assert.ok(deleted < (purgeHorizon(end, 30, noBackups) ?? ''));
  assert.ok(!(deleted < (purgeHorizon(end - 1, 30, noBackups) ?? '')));
});

test('with backups in use: only after a succeeded backup whose snapshot is later than the deletion', () => {
  const now = at(deleted) + 40 * DAY_MS;
  const none: BackupState = { inUse: true, lastSnapshotAt: null, running: false };
  assert.equal(purgeVerdict(deleted, now, 30, none), 'waiting-on-backup');
  assert.equal(purgeHorizon(now, 30, none), null);

  const older: BackupState = { inUse: true, lastSnapshotAt: '2026-03-01T11:59:59.999Z', running: false };
  assert.equal(purgeVerdict(deleted, now, 30, older), 'waiting-on-backup');
  assert.ok(!(deleted < (purgeHorizon(now, 30, older) ?? '')));
  // A snapshot at the very moment of the deletion may not have seen it committed.
  const same: BackupState = { inUse: true, lastSnapshotAt: deleted, running: false };
  assert.equal(purgeVerdict(deleted, now, 30, same), 'waiting-on-backup');
  assert.ok(!(deleted < (purgeHorizon(now, 30, same) ?? '')));

  const later: BackupState = { inUse: true, lastSnapshotAt: '2026-03-02T03:00:00.000Z', running: false };
  assert.equal(purgeVerdict(deleted, now, 30, later), 'purge');
  assert.ok(deleted < (purgeHorizon(now, 30, later) ?? ''));
  // The backup alone is not enough: the trash period still has to end.
  assert.equal(purgeVerdict(deleted, at(deleted) + DAY_MS, 30, later), 'in-trash');
  assert.ok(!(deleted < (purgeHorizon(at(deleted) + DAY_MS, 30, later) ?? '')));
});

test('the snapshot time is compared as a time, whatever its precision', () => {
  const now = at(deleted) + 40 * DAY_MS;
  const seconds: BackupState = { inUse: true, lastSnapshotAt: '2026-03-01T12:00:01Z', running: false };
  assert.equal(purgeVerdict(deleted, now, 30, seconds), 'purge');
  assert.equal(purgeHorizon(now, 30, seconds), '2026-03-01T12:00:01.000Z');
});

test('never while a backup is running', () => {
  const now = at(deleted) + 40 * DAY_MS;
  const running: BackupState = { inUse: true, lastSnapshotAt: '2026-03-05T00:00:00.000Z', running: true };
  assert.equal(purgeVerdict(deleted, now, 30, running), 'backup-running');
  assert.equal(purgeHorizon(now, 30, running), null);
  // A backup from the CLI makes a row, so backups are in use from then on; running is running.
  assert.equal(purgeHorizon(now, 30, { ...noBackups, running: true }), null);
});

test('a trash period of 0 purges what is left in the trash at once (subject to backups)', () => {
  const now = at(deleted) + 1;
  assert.equal(purgeVerdict(deleted, now, 0, noBackups), 'purge');
  assert.ok(deleted < (purgeHorizon(now, 0, noBackups) ?? ''));
});
