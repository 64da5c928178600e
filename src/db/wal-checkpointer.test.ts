import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { waitFor } from '../../test/helpers/wait.ts';
import { WalCheckpointer } from './wal-checkpointer.ts';

test('the write-ahead log is copied into the database from the thread, without the writer checkpointing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wal-checkpointer-'));
  const path = join(dir, 'test.db');
  const db = new DatabaseSync(path);
  // The writer never checkpoints by itself here: what reaches the database file is the thread's doing.
  db.exec('PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; CREATE TABLE t (x TEXT)');
  const insert = db.prepare('INSERT INTO t VALUES (?)');
  for (let i = 0; i < 300; i++) insert.run('x'.repeat(1000));
  const before = statSync(path).size;
  assert.ok(statSync(`${path}-wal`).size > 300 * 1000, 'the rows are in the log');
  const errors: unknown[] = [];
  const checkpointer = new WalCheckpointer({ path, everyMs: 20, onError: (e) => errors.push(e) });
  try {
    checkpointer.start();
    checkpointer.start(); // once is enough: a second start is a no-op
    await waitFor(() => statSync(path).size > before + 300 * 1000, {
      what: 'the rows copied into the database',
    });
    assert.deepEqual(errors, []);
    // Stopped, it copies nothing more.
    await checkpointer.stop();
    const stopped = statSync(path).size;
    for (let i = 0; i < 100; i++) insert.run('y'.repeat(1000));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(statSync(path).size, stopped);
  } finally {
    await checkpointer.stop();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
