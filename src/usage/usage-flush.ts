import type { Db } from '../db/database.ts';
import { usageRepo } from './usage.repo.ts';
import { UsageMeter } from './usage-meter.ts';

/** The process's meter, flushing into usage_records every `flushSeconds` (started). */
export function databaseMeter(
  db: Db,
  o: { flushSeconds: number; onError: (err: unknown) => void },
): UsageMeter {
  return new UsageMeter({
    write: (counts) => usageRepo.add(db, counts),
    onError: o.onError,
    flushSeconds: o.flushSeconds,
  }).start();
}
