import type { Db } from '../db/database.ts';
import { defineJob, jobSpec } from '../queue/jobs.ts';
import { dueViewIds, markClosed, markExitsBeforeStart, rollupViews } from './closing.repo.ts';
import { dailyDeltas, liveMinuteDeltas, rollupDeltas } from './rollup-delta.ts';
import { addLiveMinutes, addToRollups } from './rollups.repo.ts';

/**
 * Closes the views no report has reached for FRAMEHOUSE_QOE_VIEW_TIMEOUT_MS and adds them to the
 * hourly rollups and the live minutes (docs/qoe.md). Queued by every worker node now and then,
 * one at a time across the cluster (a dedupe key); one attempt: the next run takes up what a
 * failed one left.
 */
export const closeViewsSpec = jobSpec<Record<string, never>>('qoe.close-views', {
  maxAttempts: 1,
  priority: 5,
});

/** Views closed per transaction: large enough to be quick, small enough not to hold the lock long. */
export const CLOSE_BATCH_SIZE = 2000;

export interface CloseBatchResult {
  /** Views that were due when the batch began. */
  due: number;
  /** Views this batch closed (fewer when another run took some, or a report woke them). */
  closed: number;
  ms: number;
}

/**
 * One batch, in one transaction: the views are marked closed (only where still open: a view is
 * never counted twice), those that asked to play and never started become exits before start,
 * and all of them are added to the rollups (hourly and daily). A reader sees each view either open or in the
 * rollups, never both, never neither.
 */
export async function closeBatch(
  db: Db,
  opts: { cutoff: number; now: number; limit: number },
): Promise<CloseBatchResult> {
  const t0 = performance.now();
  const { due, closed } = await db.transaction().execute(async (trx) => {
    const ids = await dueViewIds(trx, opts.cutoff, opts.limit);
    const closedIds = await markClosed(trx, ids, opts.cutoff, opts.now);
    await markExitsBeforeStart(trx, closedIds);
    const views = await rollupViews(trx, closedIds);
    const hourly = rollupDeltas(views);
    await addToRollups(trx, 'hour', hourly.values());
    await addToRollups(trx, 'day', dailyDeltas(hourly.values()).values());
    await addLiveMinutes(trx, liveMinuteDeltas(views).values());
    return { due: ids.length, closed: closedIds.length };
  });
  return { due, closed, ms: performance.now() - t0 };
}

/** Closes every view due now, batch after batch; returns how many it closed. */
export async function closeDueViews(
  db: Db,
  opts: {
    timeoutMs: number;
    batchSize?: number;
    now?: () => number;
    signal?: AbortSignal;
    /** After each batch (a job heartbeats here). */
    onBatch?: (batch: CloseBatchResult) => unknown;
  },
): Promise<number> {
  const limit = opts.batchSize ?? CLOSE_BATCH_SIZE;
  const now = opts.now ?? Date.now;
  let total = 0;
  while (!opts.signal?.aborted) {
    const t = now();
    const batch = await closeBatch(db, { cutoff: t - opts.timeoutMs, now: t, limit });
    total += batch.closed;
    await opts.onBatch?.(batch);
    if (batch.due < limit) break;
  }
  return total;
}

export const closeViewsJob = (deps: { db: Db; timeoutMs: number }) =>
  defineJob<Record<string, never>>(closeViewsSpec.type, {
    ...closeViewsSpec,
    async handler({ log, signal, heartbeat }) {
      try {
        const closed = await closeDueViews(deps.db, {
          timeoutMs: deps.timeoutMs,
          signal,
          onBatch: () => heartbeat(),
        });
        if (closed > 0) log.info({ closed }, 'viewer analytics: views closed');
      } catch (err) {
        // Left to the next run (a minute away) rather than piling up dead jobs while the database has trouble.
        log.warn({ err }, 'viewer analytics: closing views failed');
      }
    },
  });
