import { purgeTrashJob } from '../assets/purge-trash.job.ts';
import { startTrashSchedule } from '../assets/trash-schedule.ts';
import type { Config } from '../config/config.ts';
import type { AnyJobDefinition } from '../queue/jobs.ts';
import type { Infrastructure } from './infrastructure.ts';
import type { VodServices } from './vod.ts';

/** The trash's purge: registered on every worker (JOB_TYPES lists it). */
export function trashJobs(
  config: Config,
  { db }: Infrastructure,
  { assets }: VodServices,
): AnyJobDefinition[] {
  return [
    purgeTrashJob({ db, assets, backupScheduled: config.backupSchedule !== undefined }),
  ] as AnyJobDefinition[];
}

/**
 * Worker nodes ask for the purge hourly. Also with FRAMEHOUSE_TRASH_DAYS=0: what an earlier
 * setting left in the trash is purged all the same.
 */
export function startTrashJobs({ db, queue, log }: Infrastructure): { stop(): void } {
  return startTrashSchedule({ db, queue }, (err) => log.warn({ err }, 'trash: could not queue the purge'));
}
