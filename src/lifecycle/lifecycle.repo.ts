import { type ExpressionBuilder, sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import type { AssetFacts } from './rules.ts';

/**
 * When each asset's ladder was finished: the last change of its renditions, when none is left
 * unready. One grouped pass over the renditions: the job runs hourly and the storage report at
 * most once a minute, both asking for a bounded page.
 */
function ladders(db: Db) {
  return db
    .selectFrom('renditions')
    .select((eb) => [
      'asset_id',
      eb.fn.max('updated_at').as('ready_at'),
      eb.fn.sum<number>(eb.case().when('status', '<>', 'ready').then(1).else(0).end()).as('unready'),
    ])
    .groupBy('asset_id')
    .as('ladder');
}

type Rule = 'drop-original' | 'move-cold';

/**
 * Video and audio assets with a finished ladder the rule can still act on, the longest-waiting
 * first; with `before`, only those whose clock (ready time, or last view for the cold tier)
 * started before it.
 */
async function finishedLadders(db: Db, rule: Rule, limit: number, before?: string): Promise<AssetFacts[]> {
  const since =
    rule === 'move-cold'
      ? sql<string>`coalesce(a.last_viewed_at, ladder.ready_at)`
      : sql<string>`ladder.ready_at`;
  let q = db
    .selectFrom('assets as a')
    .innerJoin(ladders(db), 'ladder.asset_id', 'a.id')
    .select([
      'a.id',
      'a.kind',
      'a.status',
      'a.deleted_at',
      'a.source_dropped_at',
      'a.storage_tier',
      'a.last_viewed_at',
      'ladder.ready_at',
    ])
    .where('a.status', '=', 'ready')
    .where('a.deleted_at', 'is', null)
    .where('a.kind', 'in', ['video', 'audio'])
    .where('ladder.unready', '=', 0);
  q =
    rule === 'drop-original'
      ? q.where('a.source_dropped_at', 'is', null)
      : q.where('a.storage_tier', '=', 'hot');
  if (before) q = q.where(since, '<=', before);
  const rows = await q.orderBy(since).orderBy('a.id').limit(limit).execute();
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    status: r.status,
    deletedAt: r.deleted_at,
    sourceDroppedAt: r.source_dropped_at,
    storageTier: r.storage_tier,
    lastViewedAt: r.last_viewed_at,
    readyAt: r.ready_at,
  }));
}

const stillHot = (eb: ExpressionBuilder<Database, 'assets'>) =>
  eb.and([eb('deleted_at', 'is', null), eb('status', '=', 'ready')]);

export const lifecycleRepo = {
  finishedLadders,

  /** Records the dropped original; false when it was recorded already or the asset changed meanwhile. */
  async markSourceDropped(db: Db, assetId: string, at: string): Promise<boolean> {
    const r = await db
      .updateTable('assets')
      .set({ source_dropped_at: at })
      .where('id', '=', assetId)
      .where('source_dropped_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  },

  async markCold(db: Db, assetId: string, at: string): Promise<boolean> {
    const r = await db
      .updateTable('assets')
      .set({ storage_tier: 'cold', tiered_at: at })
      .where('id', '=', assetId)
      .where('storage_tier', '=', 'hot')
      .where(stillHot)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  },

  async recordViewed(db: Db, assetId: string, at: string): Promise<void> {
    await db.updateTable('assets').set({ last_viewed_at: at }).where('id', '=', assetId).execute();
  },

  /** Resumable uploads not finished, oldest first. */
  unfinishedUploads(db: Db, limit: number) {
    return db
      .selectFrom('uploads')
      .select(['id', 'created_at', 'length'])
      .where('completed_at', 'is', null)
      .orderBy('created_at')
      .orderBy('id')
      .limit(limit)
      .execute();
  },

  /** Of these resumable uploads, those still unfinished and begun after `since` (still alive). */
  async aliveUploads(db: Db, ids: string[], since: string): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await db
      .selectFrom('uploads')
      .select('id')
      .where('id', 'in', ids)
      .where('completed_at', 'is', null)
      .where('created_at', '>', since)
      .execute();
    return new Set(rows.map((r) => r.id));
  },

  /** Every asset in the trash, longest there first. */
  trashed(db: Db) {
    return db
      .selectFrom('assets')
      .select(['id', 'deleted_at'])
      .where('deleted_at', 'is not', null)
      .orderBy('deleted_at')
      .orderBy('id')
      .execute() as Promise<{ id: string; deleted_at: string }[]>;
  },
};
