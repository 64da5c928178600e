import { setImmediate as yieldToOthers } from 'node:timers/promises';
import type { Db } from '../db/database.ts';
import { defineJob, jobSpec } from '../queue/jobs.ts';
import { deleteOldLiveMinutes, deleteOldRollups, deleteOldViews } from './pruning.repo.ts';
import { DAY_MS, dayOf, hourOf, ROLLUP_DIMENSIONS, ROLLUP_SCOPES } from './rollup-delta.ts';

/**
 * Deletes what viewer analytics keeps no longer (docs/qoe.md): views and their timelines after
 * FRAMEHOUSE_QOE_VIEW_RETENTION_DAYS, hourly and daily rollups and live minutes after
 * FRAMEHOUSE_QOE_ROLLUP_RETENTION_MONTHS. In small chunks, each its own statement or
 * transaction, so no lock is held for long. Hourly, one at a time across the cluster.
 */
export const pruneSpec = jobSpec<Record<string, never>>('qoe.prune', { maxAttempts: 1, priority: 5 });

/** Views per transaction (each with its timeline: a few hundred events a view at most). */
const VIEWS_PER_CHUNK = 250;
const ROWS_PER_CHUNK = 5000;

export interface Retention {
  viewDays: number;
  rollupMonths: number;
}

export interface PruneResult {
  views: number;
  rollups: number;
  liveMinutes: number;
}

/** The start of the oldest hour rollups keep: `months` calendar months (UTC) before `now`. */
export function rollupHorizon(now: number, months: number): number {
  const d = new Date(now);
  d.setUTCMonth(d.getUTCMonth() - months);
  return hourOf(d.getTime());
}

async function inChunks(step: () => Promise<number>, chunk: number, signal?: AbortSignal): Promise<number> {
  let total = 0;
  while (!signal?.aborted) {
    const n = await step();
    total += n;
    if (n < chunk) break;
    // Let the process's other queries have the connection between chunks.
    await yieldToOthers();
  }
  return total;
}

export async function pruneQoe(
  db: Db,
  retention: Retention,
  opts: { now?: number; signal?: AbortSignal } = {},
): Promise<PruneResult> {
  const now = opts.now ?? Date.now();
  const viewsBefore = now - retention.viewDays * DAY_MS;
  const rollupsBefore = rollupHorizon(now, retention.rollupMonths);
  const views = await inChunks(
    () => deleteOldViews(db, viewsBefore, VIEWS_PER_CHUNK),
    VIEWS_PER_CHUNK,
    opts.signal,
  );
  let rollups = 0;
  for (const [granularity, before] of [
    ['hour', rollupsBefore],
    // A day is deleted once all of it is older than the horizon.
    ['day', dayOf(rollupsBefore)],
  ] as const)
    for (const scope of ROLLUP_SCOPES)
      for (const dimension of ROLLUP_DIMENSIONS)
        rollups += await inChunks(
          () => deleteOldRollups(db, granularity, { scope, dimension, before }, ROWS_PER_CHUNK),
          ROWS_PER_CHUNK,
          opts.signal,
        );
  const liveMinutes = await inChunks(
    () => deleteOldLiveMinutes(db, rollupsBefore, ROWS_PER_CHUNK),
    ROWS_PER_CHUNK,
    opts.signal,
  );
  return { views, rollups, liveMinutes };
}

export const pruneJob = (deps: { db: Db; retention: Retention }) =>
  defineJob<Record<string, never>>(pruneSpec.type, {
    ...pruneSpec,
    async handler({ log, signal }) {
      try {
        const pruned = await pruneQoe(deps.db, deps.retention, { signal });
        if (pruned.views + pruned.rollups + pruned.liveMinutes > 0)
          log.info({ ...pruned }, 'viewer analytics: old views and rollups deleted');
      } catch (err) {
        log.warn({ err }, 'viewer analytics: pruning failed');
      }
    },
  });
