import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { LocalObjectStore } from '../storage/local-store.ts';
import { writeLines } from './archive-file.ts';
import { inventoryKey, manifestKey, newBackupId, POOL_PREFIX, poolKey } from './archive-layout.ts';
import { HashSetFilter } from './hash-set-filter.ts';
import { listStoredBackups, pruneTarget } from './prune.ts';

let dir: string;
let target: LocalObjectStore;
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const DAY = 24 * 3_600_000;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fh-prune-'));
  target = new LocalObjectStore(dir);
  await target.init();
});
after(() => rm(dir, { recursive: true, force: true }));

/** A backup in the target naming `contents` (each put in the pool), complete or not. */
async function fakeBackup(at: Date, contents: string[], complete = true): Promise<string> {
  const id = newBackupId(at);
  const inv = writeLines(target, inventoryKey(id));
  for (const c of contents) {
    await target.put(poolKey(sha(c)), c);
    await inv.write(
      JSON.stringify({ key: `k/${c}`, size: c.length, sha256: sha(c), etag: 'e', storage_class: 'local' }),
    );
  }
  await inv.close();
  if (complete) await target.put(manifestKey(id), JSON.stringify({ counts: { objects: contents.length } }));
  return id;
}

test('keep N: the oldest complete backups go, incomplete ones after a day, then the pool objects none names', async () => {
  const now = Date.now();
  const old1 = await fakeBackup(new Date(now - 3 * DAY), ['a', 'b']);
  const old2 = await fakeBackup(new Date(now - 2 * DAY), ['b', 'c']);
  const stale = await fakeBackup(new Date(now - 2 * DAY + 1000), ['d'], false);
  const keep1 = await fakeBackup(new Date(now - DAY), ['c', 'e']);
  const running = await fakeBackup(new Date(now - 60_000), ['f'], false);
  const keep2 = await fakeBackup(new Date(now), ['e', 'g']);
  const result = await pruneTarget(target, { keep: 2, current: keep2, now, settleMs: DAY });
  assert.deepEqual(result.removedBackups, [old1, old2, stale].sort());
  // Pool objects are younger than a day here (written just now): the settle time spares them.
  assert.equal(result.poolObjectsRemoved, 0);
  const left = await listStoredBackups(target);
  assert.deepEqual(
    left.map((b) => [b.id, b.complete]),
    [
      [keep1, true],
      [running, false],
      [keep2, true],
    ],
  );

  // Once settled, only what the kept inventories name stays (the running backup's `f` too old now).
  const later = await pruneTarget(target, { keep: 2, current: keep2, now: now + 2 * DAY, settleMs: DAY });
  assert.deepEqual(later.removedBackups, [running]);
  const pool = (await target.list(POOL_PREFIX)).map((k) => k.slice(k.lastIndexOf('/') + 1)).sort();
  assert.deepEqual(pool, ['c', 'e', 'g'].map(sha).sort());
  assert.equal(later.poolObjectsRemoved, 4);
});

test('the hash filter never forgets a hash it was given', () => {
  const filter = new HashSetFilter(10_000);
  const given = Array.from({ length: 10_000 }, (_, i) => sha(`given ${i}`));
  for (const h of given) filter.add(h);
  assert.ok(given.every((h) => filter.mayHave(h)));
  const others = Array.from({ length: 10_000 }, (_, i) => sha(`other ${i}`)).filter((h) => filter.mayHave(h));
  assert.ok(others.length < 10, `false positives: ${others.length} of 10,000`);
});
