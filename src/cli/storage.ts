import type { Writable } from 'node:stream';
import { loadConfig } from '../config/config.ts';
import type { LifecycleRules, NextAction } from '../lifecycle/rules.ts';
import { NEXT_LIMIT, type StorageReport } from '../lifecycle/storage-report.ts';
import { formatBytes } from '../shared/bytes.ts';

/**
 * `framehouse storage lifecycle [--apply]`: the lifecycle rules in effect and what they will do
 * next (the same report as GET /v1/admin/storage); `--apply` also writes the rules the store can
 * run by itself (an S3 bucket's lifecycle configuration). Everything else is the
 * `storage.lifecycle` job's, hourly on workers.
 */
export async function storageLifecycleCommand(
  o: { apply: boolean; dataDir?: string | undefined },
  out: Writable = process.stdout,
): Promise<void> {
  const config = loadConfig(process.env, { dataDir: o.dataDir });
  const [
    { migrateToLatest, openDatabase },
    { openObjectStore },
    { measureStorageFor },
    { UnsupportedByStoreError },
  ] = await Promise.all([
    import('../db/database.ts'),
    import('../composition/infrastructure.ts'),
    import('../composition/lifecycle.ts'),
    import('../storage/object-store.ts'),
  ]);
  const db = openDatabase(config.databaseUrl);
  try {
    await migrateToLatest(db);
    const store = await openObjectStore(config);
    const report = await measureStorageFor(config, { db, store });
    const say = (line = '') => out.write(`${line}\n`);
    say(
      `Store: ${config.storageUrl}${config.lifecycleColdStorageUrl ? ` (cold store: ${config.lifecycleColdStorageUrl})` : ''}`,
    );
    say();
    say('Rules in effect:');
    for (const [name, text] of describeRules(report.rules)) say(`  ${name.padEnd(20)}${text}`);
    say(`  ${'multipart uploads'.padEnd(20)}${multipartText(report.multipartUploads)}`);
    say();
    printStored(report, say);
    say();
    printNext(report.next, Date.parse(report.measuredAt), say);
    say();
    if (!o.apply) {
      say('Dry run: nothing was changed. The storage.lifecycle job applies these rules hourly on workers;');
      say('--apply writes the rules the store can run by itself.');
      return;
    }
    const days = report.rules.unfinishedUploadDays;
    if (!store.applyLifecycleRules) {
      say('This store (a folder) has no lifecycle rules of its own: the storage.lifecycle job applies');
      say('every rule, hourly on workers. Nothing to write.');
      return;
    }
    try {
      await store.applyLifecycleRules({ abortIncompleteMultipartUploadDays: days });
      say(
        `Wrote the bucket lifecycle rule: multipart uploads under this store's prefix are aborted ${days} days after they began (the bucket's other rules are kept).`,
      );
      say('The other rules need the database: the storage.lifecycle job applies them hourly on workers.');
    } catch (err) {
      if (!(err instanceof UnsupportedByStoreError)) throw err;
      say(
        `This bucket's service has no lifecycle rules (it answered NotImplemented): the storage.lifecycle job`,
      );
      say('applies every rule instead, hourly on workers. Nothing was written.');
    }
  } finally {
    await db.destroy();
  }
}

export function describeRules(r: LifecycleRules): [string, string][] {
  const tier = r.coldStorageClass
    ? `storage class ${r.coldStorageClass}`
    : r.coldStorageUrl
      ? `the store ${r.coldStorageUrl}`
      : null;
  return [
    [
      'originals',
      r.dropOriginalDays === null
        ? 'kept (FRAMEHOUSE_LIFECYCLE_DROP_ORIGINAL_DAYS unset)'
        : `removed ${days(r.dropOriginalDays)} after the ladder is ready (videos and audio; photos keep theirs)`,
    ],
    [
      'cold tier',
      r.coldDays === null || !tier
        ? 'none (FRAMEHOUSE_LIFECYCLE_COLD_DAYS unset)'
        : `after ${days(r.coldDays)} without a view, objects go to ${tier} (posters and thumbnails stay)`,
    ],
    ['unfinished uploads', `removed ${days(r.unfinishedUploadDays)} after they began`],
    [
      'trash',
      r.trashDays === 0
        ? 'none: deletions are immediate (FRAMEHOUSE_TRASH_DAYS=0)'
        : `purged ${days(r.trashDays)} after deletion (and after a backup taken since, when backups are used)`,
    ],
  ];
}

function multipartText(m: StorageReport['multipartUploads']): string {
  if (m === 'listed') return 'abandoned ones in the bucket are aborted with the unfinished uploads';
  if (m === 'unsupported')
    return "the bucket's service cannot list them (NotImplemented): abandoned ones cannot be found";
  return 'none in this store (a folder)';
}

function printStored(r: StorageReport, say: (line?: string) => void): void {
  let objects = 0;
  let bytes = 0;
  for (const t of r.classes.values()) {
    objects += t.objects;
    bytes += t.bytes;
  }
  say(`Stored: ${objects} objects, ${formatBytes(bytes, 'column')}`);
  for (const [name, t] of r.classes)
    say(`  ${name.padEnd(20)}${String(t.objects).padStart(9)} objects  ${formatBytes(t.bytes, 'column')}`);
  say(
    `Trash: ${r.trash.assets} assets, ${formatBytes(r.trash.bytes, 'column')}${r.trash.waitingOnBackup ? ` (${r.trash.waitingOnBackup} waiting for a backup)` : ''}`,
  );
}

function printNext(next: NextAction[], now: number, say: (line?: string) => void): void {
  if (next.length === 0) {
    say('Next: nothing (no asset, upload or trashed asset the rules apply to).');
    return;
  }
  say(`Next (soonest first; ${next.length} listed, at most ${NEXT_LIMIT}):`);
  for (const a of next) {
    const due = Date.parse(a.due_at) <= now ? 'due now' : `due ${a.due_at}`;
    const what = a.asset_id ? `asset ${a.asset_id}` : a.upload_id ? `upload ${a.upload_id}` : `key ${a.key}`;
    const waiting = a.waiting_on_backup ? ', waits for a backup' : '';
    say(
      `  ${a.action.padEnd(14)}${what.padEnd(30)}${formatBytes(a.bytes, 'column').padStart(10)}  ${due}${waiting}`,
    );
  }
}

const days = (n: number) => (n === 1 ? '1 day' : `${n} days`);
