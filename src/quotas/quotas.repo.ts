import type { Kysely, Transaction } from 'kysely';
import { ROLES } from '../auth/principal.ts';
import type { Database, QuotasTable, UsageNoticesTable } from '../db/schema.ts';

type Executor = Kysely<Database> | Transaction<Database>;

const sum = (v: number | string | null | undefined) => Number(v ?? 0);

/** SQL for quota rows, the notices sent, and usage read in groups (the notice job reads every owner at once). */
export const quotasRepo = {
  all(db: Executor): Promise<QuotasTable[]> {
    return db.selectFrom('quotas').selectAll().orderBy('subject').execute();
  },

  /** The rows of these subjects (a user's and their role's). */
  some(db: Executor, subjects: string[]): Promise<QuotasTable[]> {
    return db.selectFrom('quotas').selectAll().where('subject', 'in', subjects).execute();
  },

  async put(db: Executor, row: QuotasTable): Promise<void> {
    const { subject: _s, ...values } = row;
    await db
      .insertInto('quotas')
      .values(row)
      .onConflict((oc) => oc.column('subject').doUpdateSet(values))
      .execute();
  },

  async delete(db: Executor, subject: string): Promise<boolean> {
    const r = await db.deleteFrom('quotas').where('subject', '=', subject).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  },

  user(db: Executor, id: string): Promise<{ id: string; email: string; role: string | null } | undefined> {
    return db.selectFrom('users').select(['id', 'email', 'role']).where('id', '=', id).executeTakeFirst();
  },

  /** Accounts by id (every one when `ids` is undefined is never asked: callers name them). */
  users(db: Executor, ids: string[]): Promise<{ id: string; email: string; role: string | null }[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return db.selectFrom('users').select(['id', 'email', 'role']).where('id', 'in', ids).execute();
  },

  /** Accounts whose role is one of these; `viewer` takes in accounts without a role (they are viewers). */
  usersWithRoles(
    db: Executor,
    roles: string[],
  ): Promise<{ id: string; email: string; role: string | null }[]> {
    if (roles.length === 0) return Promise.resolve([]);
    return db
      .selectFrom('users')
      .select(['id', 'email', 'role'])
      .where((eb) => {
        const named = eb('role', 'in', roles);
        // Sign-in reads no role, or one it does not know, as a viewer: so do quotas.
        return roles.includes('viewer')
          ? eb.or([named, eb('role', 'is', null), eb('role', 'not in', [...ROLES])])
          : named;
      })
      .execute();
  },

  /**
   * Bytes in the store per owner, grouped: the same three parts as `storedBytesOf`
   * (src/usage/usage-records.ts) — last walk's levels, originals not walked yet, unfinished
   * uploads' declared lengths — in three queries for every owner instead of three per owner.
   * A test checks the two agree.
   */
  async storedBytesByOwner(db: Executor): Promise<Map<string, number>> {
    const [sampled, unsampled, reserved] = await Promise.all([
      db
        .selectFrom('usage_storage')
        .select(['owner', (eb) => eb.fn.sum<number | string | null>('bytes').as('bytes')])
        .groupBy('owner')
        .execute(),
      db
        .selectFrom('assets')
        .select(['created_by as owner', (eb) => eb.fn.sum<number | string | null>('source_size').as('bytes')])
        .where('created_by', 'is not', null)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('usage_storage')
                .select('asset_id')
                .whereRef('usage_storage.asset_id', '=', 'assets.id'),
            ),
          ),
        )
        .groupBy('created_by')
        .execute(),
      db
        .selectFrom('uploads')
        .select(['created_by as owner', (eb) => eb.fn.sum<number | string | null>('length').as('bytes')])
        .where('created_by', 'is not', null)
        .where('asset_id', 'is', null)
        .groupBy('created_by')
        .execute(),
    ]);
    const out = new Map<string, number>();
    for (const r of [...sampled, ...unsampled, ...reserved])
      if (r.owner) out.set(r.owner, (out.get(r.owner) ?? 0) + sum(r.bytes));
    return out;
  },

  /** Encoding seconds per owner with buckets in [fromIso, toIso) (`encodingSecondsOf`, grouped). */
  async encodingSecondsByOwner(db: Executor, fromIso: string, toIso: string): Promise<Map<string, number>> {
    const rows = await db
      .selectFrom('usage_records')
      .select(['owner', (eb) => eb.fn.sum<number | string | null>('value').as('seconds')])
      .where('metric', '=', 'encoding_seconds')
      .where('bucket', '>=', fromIso)
      .where('bucket', '<', toIso)
      .groupBy('owner')
      .execute();
    return new Map(rows.map((r) => [r.owner, sum(r.seconds)]));
  },

  /** Notices of these periods (the month's and `current`). */
  notices(db: Executor, periods: string[]): Promise<UsageNoticesTable[]> {
    return db.selectFrom('usage_notices').selectAll().where('period', 'in', periods).execute();
  },

  /** True when the row is new (a notice not sent before); the primary key settles a race. */
  async insertNotice(db: Executor, row: UsageNoticesTable): Promise<boolean> {
    const r = await db
      .insertInto('usage_notices')
      .values(row)
      .onConflict((oc) => oc.columns(['owner', 'quota', 'period', 'level']).doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  },

  async deleteNotices(
    db: Executor,
    owner: string,
    quota: UsageNoticesTable['quota'],
    period: string,
  ): Promise<void> {
    await db
      .deleteFrom('usage_notices')
      .where('owner', '=', owner)
      .where('quota', '=', quota)
      .where('period', '=', period)
      .execute();
  },
};
