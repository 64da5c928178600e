import { type AuditWho, recordAudit } from '../audit/audit.ts';
import type { Role } from '../auth/principal.ts';
import type { Db } from '../db/database.ts';
import type { Auth } from './auth.ts';

export const MIN_PASSWORD_LENGTH = 10;

/**
 * Makes an account with a password and a role without a browser (first admin, automation),
 * through better-auth's own adapter and password hashing — the same rows sign-up would write.
 */
export async function createAccount(
  auth: Auth,
  db: Db,
  input: { email: string; name: string; role: Role; password: string },
  who: AuditWho,
): Promise<{ id: string }> {
  const email = input.email.trim().toLowerCase();
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) throw new Error(`Not an e-mail address: ${input.email}`);
  if (input.password.length < MIN_PASSWORD_LENGTH) {
    throw new Error(`The password must have at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  const ctx = await auth.$context;
  if (await ctx.internalAdapter.findUserByEmail(email))
    throw new Error(`An account with ${email} exists already`);
  const user = await ctx.internalAdapter.createUser(
    { email, name: input.name, emailVerified: false },
    { method: 'admin' },
  );
  await ctx.internalAdapter.linkAccount({
    userId: user.id,
    providerId: 'credential',
    accountId: user.id,
    password: await ctx.password.hash(input.password),
  });
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ role: input.role }).where('id', '=', user.id).execute();
    await recordAudit(trx, who, {
      action: 'user.created',
      target: { type: 'user', id: user.id },
      details: { email, role: input.role },
    });
  });
  return { id: user.id };
}
