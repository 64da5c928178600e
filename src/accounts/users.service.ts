import { type AuditWho, recordAudit } from '../audit/audit.ts';
import { isRole, type Role } from '../auth/principal.ts';
import type { Db } from '../db/database.ts';
import { AppError } from '../shared/errors.ts';

/**
 * Accounts as admins manage them: list, change a role, sign out everywhere. Sign-up, sign-in
 * and passwords belong to better-auth (auth.ts), which writes the same tables.
 */
export class UsersService {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  list() {
    return this.#db.selectFrom('users').selectAll().orderBy('createdAt').execute();
  }

  /** Whether any account exists (none, and no API key: the server runs in open mode). */
  async any(): Promise<boolean> {
    return (await this.#db.selectFrom('users').select('id').limit(1).executeTakeFirst()) !== undefined;
  }

  /** The account with its new role; audited when the role changes. */
  async setRole(who: AuditWho, id: string, role: Role) {
    return this.#db.transaction().execute(async (trx) => {
      const before = await trx.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
      if (!before) throw new AppError('FH_ERR_USER_NOT_FOUND');
      if (before.role !== role) {
        await trx
          .updateTable('users')
          .set({ role, updatedAt: new Date().toISOString() })
          .where('id', '=', id)
          .execute();
        await recordAudit(trx, who, {
          action: 'user.role_changed',
          target: { type: 'user', id },
          details: { from: isRole(before.role) ? before.role : 'viewer', to: role },
        });
      }
      return { ...before, role };
    });
  }

  /** Ends every session of the account, on every device. */
  async signOutEverywhere(who: AuditWho, id: string): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const user = await trx.selectFrom('users').select('id').where('id', '=', id).executeTakeFirst();
      if (!user) throw new AppError('FH_ERR_USER_NOT_FOUND');
      await trx.deleteFrom('sessions').where('userId', '=', id).execute();
      await recordAudit(trx, who, {
        action: 'user.signed_out_everywhere',
        target: { type: 'user', id },
      });
    });
  }
}
