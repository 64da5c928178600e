import { Cron } from 'croner';
import type { Db } from '../db/database.ts';
import { enqueueJob, jobSpec } from '../queue/jobs.ts';
import type { JobQueue } from '../queue/queue.ts';
import { newestScheduledRowIn } from './backups-read.repo.ts';

/** The slot a `backup.run` job is for, and the schedule that made it. */
export interface BackupRunPayload {
  /** ISO-8601 UTC: when the backup is due. */
  slot: string;
  /** FRAMEHOUSE_BACKUP_SCHEDULE when the slot was computed (a changed schedule drops old slots). */
  cron: string;
}

/**
 * One attempt per slot: what makes a backup fail (a full disk, a bucket refusing writes, a wrong
 * passphrase) rarely mends itself within the queue's backoff, and retrying would mail the admins
 * again each time; the next slot is the retry. A worker that dies mid-run dead-letters the job
 * (its lease expires), which the job's onDead reports as a failed backup.
 */
export const backupRunSpec = jobSpec<BackupRunPayload>('backup.run', { maxAttempts: 1 });

/** Re-read the schedule at least this often, so a tick lost to a database blip is made up. */
const MAX_TICK_MS = 60_000;

/**
 * The first slot strictly after `now` (after a slot: the next one); null when there is none. The
 * expression has five or six fields (seconds first) in the server's time zone, as config.ts
 * validates it: give every node the same TZ, or they compute different slots.
 */
export function nextBackupSlot(expression: string, now: Date): Date | null {
  return new Cron(expression, { paused: true }).nextRun(now);
}

/** Every node computes the same key for a slot: the queue keeps one job per key queued or running. */
export const backupDedupeKey = (slot: Date): string => `backup:${slot.toISOString()}`;

/** The job that runs `slot`, as every worker node enqueues it: delayed until the slot. */
export function backupRunRequest(expression: string, slot: Date, now: number) {
  return {
    payload: { slot: slot.toISOString(), cron: expression } satisfies BackupRunPayload,
    options: { dedupeKey: backupDedupeKey(slot), delayMs: Math.max(0, slot.getTime() - now) },
  };
}

/**
 * One look at the schedule: enqueues `backup.run` for the next slot after `now`, delayed until
 * it (a no-op when that slot's job is queued or running already). Skipped when a run of that
 * slot or a later one has started: this node's clock is behind the one that ran it, and the
 * job's dedupe key no longer holds once the job has finished, so the slot would run again.
 */
export async function scheduleNextBackup(
  deps: { db: Db; queue: JobQueue },
  expression: string,
  now: number,
): Promise<{ slot: Date | null; jobId: string | null }> {
  const slot = nextBackupSlot(expression, new Date(now));
  if (!slot || (await newestScheduledRowIn(deps.db, slot.toISOString(), null))) return { slot, jobId: null };
  const { payload, options } = backupRunRequest(expression, slot, now);
  const { id } = await enqueueJob(deps.queue, deps.db, backupRunSpec, payload, options);
  return { slot, jobId: id };
}

/**
 * FRAMEHOUSE_BACKUP_SCHEDULE on a worker node: schedules the next slot now, again just after
 * that slot has come (nextRun then gives the following one), and at least every minute (a look
 * lost to a database blip is made up). Every worker node does this; the dedupe key makes it one
 * job per slot across the cluster, which one worker claims when the slot comes.
 */
export function startBackupSchedule(
  deps: { db: Db; queue: JobQueue; now?: () => number },
  expression: string,
  onError: (err: unknown) => void,
): { stop(): void } {
  const now = deps.now ?? Date.now;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const tick = async () => {
    let wait = MAX_TICK_MS;
    try {
      const at = now();
      const { slot } = await scheduleNextBackup(deps, expression, at);
      if (slot) wait = Math.min(MAX_TICK_MS, slot.getTime() - at + 1);
    } catch (err) {
      onError(err);
    }
    if (!stopped) {
      timer = setTimeout(() => void tick(), Math.max(1, wait));
      timer.unref();
    }
  };
  void tick();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
