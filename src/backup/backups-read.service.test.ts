import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { Insertable } from 'kysely';
import type { BackupsTable } from '../db/schema.ts';
import { openTestDatabase, postgresSkip, TEST_DIALECTS, type TestDatabase } from '../db/test-databases.ts';
import { AppError } from '../shared/errors.ts';
import { readBackupGauges } from './backup-gauges.ts';
import { BackupsReader } from './backups-read.service.ts';

const NOW = Date.parse('2030-01-03T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

const base = (id: string, startedAt: string): Insertable<BackupsTable> => ({
  id,
  trigger: 'schedule',
  target: '/srv/backups',
  status: 'succeeded',
  objects_mode: 'all',
  started_at: startedAt,
  heartbeat_at: startedAt,
});

for (const dialect of TEST_DIALECTS) {
  describe(`backups as admins read them, on ${dialect}`, { skip: postgresSkip(dialect) }, () => {
    let t: TestDatabase;
    let reader: BackupsReader;
    const settings = {
      cron: '0 3 * * *',
      target: '/srv/backups',
      keep: 7,
      objects: 'all' as const,
      passphrase: undefined,
    };

    beforeEach(async () => {
      t = await openTestDatabase(dialect);
      reader = new BackupsReader({ db: t.db, settings, now: () => NOW });
      await t.db
        .insertInto('backups')
        .values([
          {
            ...base('20300101T030000Z-aaaaaa', '2030-01-01T03:00:00.000Z'),
            finished_at: '2030-01-01T03:01:40.000Z',
            size_bytes: 5_000_000_000,
            verification: 'passed',
          },
          {
            ...base('20300102T030000Z-bbbbbb', '2030-01-02T03:00:00.000Z'),
            status: 'failed',
            finished_at: '2030-01-02T03:00:05.000Z',
            error_code: 'FH_ERR_BACKUP_TARGET',
            error_message: 'EACCES: permission denied',
          },
          // Two runs started in the same millisecond: the id orders them.
          {
            ...base('20300103T020000Z-cccccc', '2030-01-03T02:00:00.000Z'),
            trigger: 'cli',
            finished_at: '2030-01-03T02:00:30.000Z',
            size_bytes: 1234,
          },
          {
            ...base('20300103T020000Z-dddddd', '2030-01-03T02:00:00.000Z'),
            trigger: 'cli',
            status: 'running',
            heartbeat_at: iso(NOW - 3 * 60_000),
          },
          {
            ...base('20300103T115950Z-eeeeee', iso(NOW - 10_000)),
            status: 'running',
            heartbeat_at: iso(NOW - 2_000),
          },
        ])
        .execute();
    });
    afterEach(async () => {
      await t.close();
    });

    test('newest first, page by page with the cursor, the schedule beside each page', async () => {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await reader.list({ limit: 2, ...(cursor ? { cursor } : {}) });
        assert.deepEqual(page.schedule?.cron, '0 3 * * *');
        assert.equal(page.schedule?.next_run_at && Date.parse(page.schedule.next_run_at) > NOW, true);
        seen.push(...page.data.map((b) => `${b.id} ${b.status}`));
        cursor = page.next_cursor ?? undefined;
        pages++;
      } while (cursor);
      assert.equal(pages, 3);
      assert.deepEqual(seen, [
        '20300103T115950Z-eeeeee running',
        // Its heartbeat stopped 3 minutes ago: its process died.
        '20300103T020000Z-dddddd failed',
        '20300103T020000Z-cccccc succeeded',
        '20300102T030000Z-bbbbbb failed',
        '20300101T030000Z-aaaaaa succeeded',
      ]);
    });

    test('one by id; an unknown id or a cursor that does not decode: coded errors', async () => {
      const b = await reader.get('20300102T030000Z-bbbbbb');
      assert.deepEqual(b.error, { code: 'FH_ERR_BACKUP_TARGET', message: 'EACCES: permission denied' });
      assert.equal(b.duration_ms, 5000);
      await assert.rejects(
        reader.get('nope'),
        (e: unknown) => e instanceof AppError && e.code === 'FH_ERR_BACKUP_NOT_FOUND',
      );
      await assert.rejects(
        reader.list({ limit: 2, cursor: 'garbage' }),
        (e: unknown) => e instanceof AppError && e.code === 'FH_ERR_CURSOR_INVALID',
      );
    });

    test('the gauges: the newest success, failures by trigger with the stale run among them', async () => {
      const g = await readBackupGauges(t.db, NOW);
      assert.deepEqual(g, {
        lastSuccess: {
          finishedAtSeconds: Date.parse('2030-01-03T02:00:30.000Z') / 1000,
          durationSeconds: 30,
          sizeBytes: 1234,
        },
        failures: { cli: 1, schedule: 1 },
      });
      // Before any success, no "last" values.
      await t.db.deleteFrom('backups').where('status', '=', 'succeeded').execute();
      assert.equal((await readBackupGauges(t.db, NOW)).lastSuccess, null);
    });
  });
}
