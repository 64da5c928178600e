import { loadConfig } from '../config/config.ts';
import { ffmpegVersion, runDoctor } from '../ops/doctor.ts';

const MARK = { critical: '✖ critical', warning: '! warning ', ok: '✔ ok      ' } as const;

/** `framehouse doctor`: prints every finding; exits 1 when one is critical. */
export async function doctorCommand(flags: { dataDir?: string }): Promise<void> {
  const config = loadConfig(process.env, flags);
  // `ffmpeg -version` starts about as slowly as the database code loads: both at once.
  const ffmpeg = ffmpegVersion(config.ffmpegPath);
  const { migrateToLatest, openDatabase } = await import('../db/database.ts');
  const db = openDatabase(config.databaseUrl);
  try {
    await migrateToLatest(db);
    const findings = await runDoctor(config, db, process.env, ffmpeg);
    for (const f of findings) {
      process.stdout.write(`${MARK[f.severity]}  ${f.check}: ${f.finding}\n`);
      if (f.fix) process.stdout.write(`              → ${f.fix}\n`);
    }
    const critical = findings.filter((f) => f.severity === 'critical').length;
    const warnings = findings.filter((f) => f.severity === 'warning').length;
    process.stdout.write(`\n${critical} critical, ${warnings} warning(s)\n`);
    if (critical > 0) process.exitCode = 1;
  } finally {
    await db.destroy();
  }
}
