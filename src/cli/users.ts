import { text } from 'node:stream/consumers';
import { pino } from 'pino';
import { authFromConfig } from '../accounts/auth.ts';
import { createAccount } from '../accounts/create-account.ts';
import { isRole } from '../auth/principal.ts';
import { loadConfig } from '../config/config.ts';
import { migrateToLatest, openDatabase } from '../db/database.ts';
import { createMailer } from '../notifications/mailer.ts';

/**
 * `framehouse users create --email E --role R --password-stdin`: an account without a browser.
 * The password comes on standard input, never on the command line (where `ps` would show it).
 */
export async function createUserCommand(o: {
  email: string;
  role: string;
  name?: string;
  passwordStdin: boolean;
  dataDir?: string;
}): Promise<void> {
  if (!isRole(o.role)) throw new Error(`--role must be admin, editor or viewer (got ${o.role})`);
  if (!o.passwordStdin) throw new Error('Give the password on standard input with --password-stdin');
  const password = (await text(process.stdin)).replace(/\r?\n$/, '');
  const config = loadConfig(process.env, { dataDir: o.dataDir });
  const log = pino({ level: 'warn' });
  const db = openDatabase(config.databaseUrl);
  try {
    await migrateToLatest(db);
    // No mail from the command line: a mailer that only logs.
    const auth = await authFromConfig(
      db,
      { ...config, smtpUrl: undefined },
      createMailer(undefined, config.mailFrom, log),
      log,
    );
    const { id } = await createAccount(
      auth,
      db,
      { email: o.email, name: o.name ?? o.email.split('@')[0] ?? o.email, role: o.role, password },
      { actor: 'cli', credential: 'local command line', ip: null },
    );
    process.stdout.write(`created ${o.role} ${o.email.trim().toLowerCase()} (${id})\n`);
  } finally {
    await db.destroy();
  }
}
