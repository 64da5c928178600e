import { runRestore } from '../backup/restore.service.ts';
import { loadConfig } from '../config/config.ts';
import { AppError } from '../shared/errors.ts';
import { objectsMode, reportingErrors } from './backup.ts';
import { readPassphrase } from './passphrase.ts';
import { PhaseBars } from './phase-bars.ts';

export interface RestoreFlags {
  from?: string;
  backup?: string;
  force?: boolean;
  objects?: string;
  passphraseFile?: string;
  dataDir?: string;
}

/**
 * `framehouse restore --from …`: a backup into this configuration's database and store. Prints
 * what it changed (missing secrets, unfinished uploads), then every missing or different object;
 * exit 0 only when every object verified.
 */
export async function restoreCommand(o: RestoreFlags): Promise<void> {
  await reportingErrors(async () => {
    if (!o.from)
      throw new AppError('FH_ERR_VALIDATION', 'Say where from: --from DIR or --from s3://bucket/prefix');
    const objects = objectsMode(o.objects);
    const config = loadConfig(process.env, { dataDir: o.dataDir });
    const passphrase = await readPassphrase({
      ...(o.passphraseFile !== undefined ? { file: o.passphraseFile } : {}),
      ...(config.backupPassphrase ? { fromEnv: config.backupPassphrase } : {}),
    });
    const bars = new PhaseBars(process.stderr);
    let report: Awaited<ReturnType<typeof runRestore>>;
    try {
      report = await runRestore(config, {
        from: o.from,
        ...(o.backup !== undefined ? { backupId: o.backup } : {}),
        force: o.force === true,
        objects,
        ...(passphrase !== undefined ? { passphrase } : {}),
        onProgress: (p) => bars.update(p),
      });
    } finally {
      bars.stop();
    }
    for (const note of report.notes) process.stdout.write(`- ${note}\n`);
    for (const p of report.problems) process.stdout.write(`✖ ${p}\n`);
    const total = report.manifest.counts.objects;
    process.stdout.write(
      `restored ${report.backupId} (snapshot ${report.manifest.snapshot_at}, ${report.manifest.dialect} → ${config.databaseUrl.startsWith('sqlite:') ? 'sqlite' : 'postgres'}): ` +
        `${report.rows} rows, ${report.objectsCopied} objects copied, ${report.objectsVerified}/${total} verified, ${report.problemCount} problem(s)\n`,
    );
    if (report.problemCount > 0) process.exitCode = 1;
  });
}
