import { loadConfig } from '../config/config.ts';
import { migrateToLatest, openDatabase } from '../db/database.ts';

/** `framehouse migrate`: applies pending migrations and exits (forward-only). */
export async function migrateCommand(flags: Record<string, unknown>): Promise<void> {
  const config = loadConfig(process.env, flags);
  const db = openDatabase(config.databaseUrl);
  try {
    const applied = await migrateToLatest(db);
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
  } finally {
    await db.destroy();
  }
}
