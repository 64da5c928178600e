import { hostname } from 'node:os';
import { type BackupSummary, listBackupsInTarget, runBackup } from '../backup/backup.service.ts';
import { announceBackupOutcome } from '../backup/backup-signals.ts';
import { loadConfig } from '../config/config.ts';
import { openDatabase, pendingMigrations } from '../db/database.ts';
import { AppError } from '../shared/errors.ts';
import { openStoreWithColdTier } from '../storage/create-store.ts';
import { readPassphrase } from './passphrase.ts';
import { amount, bytes, PhaseBars } from './phase-bars.ts';

export interface BackupFlags {
  to?: string;
  objects?: string;
  includeSecrets?: boolean;
  passphraseFile?: string;
  keep?: string;
  dataDir?: string;
}

/**
 * `framehouse backup --to DIR|s3://…`: one backup of this installation's database and store,
 * progress on stderr, one line on stdout; exit 0 only when it was written and verified.
 */
export async function backupCommand(o: BackupFlags): Promise<void> {
  await reportingErrors(async () => {
    if (!o.to) throw new AppError('FH_ERR_VALIDATION', 'Say where: --to DIR or --to s3://bucket/prefix');
    const objects = objectsMode(o.objects);
    const keep = o.keep === undefined ? undefined : positiveInt(o.keep, '--keep');
    if (o.passphraseFile !== undefined && !o.includeSecrets)
      throw new AppError('FH_ERR_VALIDATION', '--passphrase-file goes with --include-secrets');
    const config = loadConfig(process.env, { dataDir: o.dataDir });
    let passphrase: string | undefined;
    if (o.includeSecrets) {
      passphrase = await readPassphrase({
        ...(o.passphraseFile !== undefined ? { file: o.passphraseFile } : {}),
        ...(config.backupPassphrase ? { fromEnv: config.backupPassphrase } : {}),
        prompt: { question: 'Passphrase for the secrets: ', confirm: true },
      });
      if (passphrase === undefined)
        throw new AppError(
          'FH_ERR_BACKUP_PASSPHRASE',
          '--include-secrets needs a passphrase: --passphrase-file FILE or FRAMEHOUSE_BACKUP_PASSPHRASE (or run it at a terminal to type one)',
        );
    }
    const db = openDatabase(config.databaseUrl);
    const bars = new PhaseBars(process.stderr);
    try {
      // Never migrate here: the usual backup is the one taken before an upgrade, of the
      // database as the running (older) servers use it.
      const pending = await pendingMigrations(db);
      if (pending.length > 0)
        throw new AppError(
          'FH_ERR_VALIDATION',
          `The database lacks this version's migrations (${pending.join(', ')}): back it up with the version that runs it, or run framehouse migrate first`,
        );
      const store = await openStoreWithColdTier(config.storageUrl, config.lifecycleColdStorageUrl);
      // A backup run from the host's cron has nobody at the terminal: it announces its outcome
      // (webhook event, admins' mail) as a scheduled one does.
      let s: BackupSummary;
      try {
        s = await runBackup(
          { db, store, config, node: hostname() },
          {
            target: o.to,
            objects,
            trigger: 'cli',
            ...(passphrase !== undefined ? { passphrase } : {}),
            ...(keep !== undefined ? { keep } : {}),
            onProgress: (p) => bars.update(p),
          },
        );
      } catch (err) {
        const id =
          err instanceof AppError
            ? (err.details as { backup_id?: unknown } | undefined)?.backup_id
            : undefined;
        if (typeof id === 'string') await announceBackupOutcome(db, id).catch(() => {});
        throw err;
      }
      await announceBackupOutcome(db, s.id).catch(() => {});
      bars.stop();
      for (const w of s.warnings) process.stderr.write(`! ${w}\n`);
      const rows = Object.values(s.manifest.counts.tables).reduce((n, c) => n + c, 0);
      const seconds = (Date.parse(s.finished_at ?? '') - Date.parse(s.started_at)) / 1000;
      const pruned = s.prune
        ? `; kept ${keep}, removed ${s.prune.removedBackups.length} backup(s) and ${s.prune.poolObjectsRemoved} pooled object(s)`
        : '';
      process.stdout.write(
        `backup ${s.id}: ${Object.keys(s.manifest.counts.tables).length} tables, ${amount(rows, 'rows')}, ` +
          `${amount(s.objects_total ?? 0, 'objects')} (${bytes(s.objects_bytes ?? 0)}; ${s.objects_copied ?? 0} copied), ` +
          `secrets ${s.secrets_included ? 'encrypted in' : 'left out'}, verified, ${bytes(s.size_bytes ?? 0)} written in ${seconds.toFixed(1)} s → ${s.target}${pruned}\n`,
      );
    } finally {
      bars.stop();
      await db.destroy();
    }
  });
}

/** `framehouse backup list --from …`: the complete backups of a target, newest first. */
export async function backupListCommand(o: { from?: string }): Promise<void> {
  await reportingErrors(async () => {
    if (!o.from)
      throw new AppError('FH_ERR_VALIDATION', 'Say where: --from DIR or --from s3://bucket/prefix');
    const list = await listBackupsInTarget(o.from);
    if (list.length === 0) {
      process.stdout.write(`no complete backup in ${o.from}\n`);
      return;
    }
    for (const { id, manifest: m, size_bytes } of list) {
      process.stdout.write(
        `${id}  ${m.snapshot_at}  ${m.dialect.padEnd(8)}  ${m.migration}  ${m.counts.assets} assets  ${m.counts.users} users  ` +
          `${m.counts.live_streams} live streams  ${m.counts.objects} objects (${bytes(m.counts.object_bytes)}, ${m.objects === 'all' ? 'copied' : 'not copied'})  ` +
          `${bytes(size_bytes)}  secrets: ${m.secrets ? 'encrypted' : 'no'}\n`,
      );
    }
  });
}

export function objectsMode(v: string | undefined): 'all' | 'none' {
  if (v === undefined || v === 'all' || v === 'none') return v ?? 'all';
  throw new AppError('FH_ERR_VALIDATION', `--objects is all or none (got ${v})`);
}

function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new AppError('FH_ERR_VALIDATION', `${flag} is a whole number ≥ 1 (got ${v})`);
  return n;
}

/**
 * Prints a failure as its code and message (and the problems it lists), never a stack, and
 * exits 1. Configuration errors keep their own wording.
 */
export async function reportingErrors(run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (err instanceof AppError) {
      process.stderr.write(`framehouse: ${err.code}: ${err.message}\n`);
      const problems = (err.details as { problems?: string[] } | undefined)?.problems ?? [];
      for (const p of problems) process.stderr.write(`  ✖ ${p}\n`);
      process.exitCode = 1;
      return;
    }
    throw err;
  }
}
