import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { sql } from 'kysely';
import { pino } from 'pino';
import { authFromConfig } from '../accounts/auth.ts';
import { createAccount } from '../accounts/create-account.ts';
import { type Config, loadConfig } from '../config/config.ts';
import type { Db } from '../db/database.ts';
import { openTestDatabase, postgresSkip, type TestDialect } from '../db/test-databases.ts';
import { createMailer } from '../notifications/mailer.ts';
import { createObjectStore } from '../storage/create-store.ts';
import { runBackup } from './backup.service.ts';
import { runRestore } from './restore.service.ts';

const log = pino({ level: 'silent' });
const auth = (db: Db, config: Config) =>
  authFromConfig(db, { ...config, smtpUrl: undefined }, createMailer(undefined, config.mailFrom, log), log);

/** What better-auth's rows hold on each dialect, as the database returns them. */
async function rawUser(db: Db, email: string) {
  const { rows } = await sql<{
    createdAt: unknown;
    emailVerified: unknown;
  }>`select "createdAt", "emailVerified" from users where email = ${email}`.execute(db);
  return rows[0];
}

for (const [from, to] of [
  ['sqlite', 'postgres'],
  ['postgres', 'sqlite'],
] as Array<[TestDialect, TestDialect]>) {
  test(`better-auth's times and booleans cross dialects, and the account signs in (${from} → ${to})`, {
    skip: postgresSkip('postgres'),
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fh-ba-'));
    const source = await openTestDatabase(from);
    const target = await openTestDatabase(to);
    try {
      const sourceConfig = loadConfig({
        DATABASE_URL: source.url,
        STORAGE_URL: `file:${join(dir, 'a')}`,
        FRAMEHOUSE_DATA_DIR: join(dir, 'a-data'),
      });
      const a = await auth(source.db, sourceConfig);
      await createAccount(
        a,
        source.db,
        { email: 'ada@example.com', name: 'Ada', role: 'admin', password: 'correct horse 1' },
        {
          actor: 'test',
          credential: null,
          ip: null,
        },
      );
      // SQLite: ISO strings and 0/1 (better-auth's Kysely adapter has supportsDates/Booleans false
      // there); PostgreSQL: timestamptz read as Date, real booleans.
      const raw = await rawUser(source.db, 'ada@example.com');
      if (from === 'sqlite') {
        assert.match(String(raw?.createdAt), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        assert.equal(raw?.emailVerified, 0);
      } else {
        assert.ok(raw?.createdAt instanceof Date);
        assert.equal(raw?.emailVerified, false);
      }
      const before = await (await a.$context).internalAdapter.findUserByEmail('ada@example.com');

      const store = await createObjectStore(sourceConfig.storageUrl);
      await runBackup(
        { db: source.db, store, config: sourceConfig, node: 'test' },
        {
          target: join(dir, 'backups'),
          objects: 'all',
          trigger: 'cli',
        },
      );
      await target.db.destroy();
      const targetConfig = loadConfig({
        DATABASE_URL: target.url,
        STORAGE_URL: `file:${join(dir, 'b')}`,
        FRAMEHOUSE_DATA_DIR: join(dir, 'b-data'),
      });
      const report = await runRestore(targetConfig, {
        from: join(dir, 'backups'),
        force: false,
        objects: 'all',
      });
      assert.equal(report.problemCount, 0);

      const restored = target.connect();
      const rawAfter = await rawUser(restored, 'ada@example.com');
      if (to === 'sqlite') {
        assert.equal(rawAfter?.createdAt, new Date(before?.user.createdAt as Date).toISOString());
        assert.equal(rawAfter?.emailVerified, 0);
      } else {
        assert.ok(rawAfter?.createdAt instanceof Date);
        assert.equal(rawAfter?.emailVerified, false);
      }
      const b = await auth(restored, targetConfig);
      const after = await (await b.$context).internalAdapter.findUserByEmail('ada@example.com');
      assert.equal(after?.user.createdAt.getTime(), before?.user.createdAt.getTime());
      assert.equal(after?.user.emailVerified, false);
      const signedIn = await b.api.signInEmail({
        body: { email: 'ada@example.com', password: 'correct horse 1' },
      });
      assert.equal(signedIn.user.email, 'ada@example.com');
    } finally {
      await source.close();
      await target.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
}
