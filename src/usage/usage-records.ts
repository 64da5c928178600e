import type { Db } from '../db/database.ts';
import type { UsageRecordsTable } from '../db/schema.ts';

/**
 * The public face of usage metering (docs/usage.md): what other features record through (a
 * `UsageSink`, passed in by the composition root) and what they may read (an owner's totals, for
 * quotas). The counters themselves, their flushing and the reports live in this folder.
 */

export type UsageMetric = UsageRecordsTable['metric'];
export type UsageSubjectKind = UsageRecordsTable['subject_kind'];

/**
 * Who a subject's usage is billed to (docs/usage.md): its creator (`user:{id}`, `key:{id}`);
 * `open-mode` when none is recorded (made before accounts existed) or the system made it
 * (`system:*`, e.g. the recording of a stream nobody created): there is no account to bill.
 */
export function billedOwner(createdBy: string | null | undefined): string {
  return createdBy == null || createdBy.startsWith('system:') ? 'open-mode' : createdBy;
}

/** Output resolution classes of encoding minutes, by a rendition's shorter side (portrait 1080×1920 is fhd). */
export type ResolutionClass = 'audio' | 'sd' | 'hd' | 'fhd' | 'uhd';
export const RESOLUTION_CLASSES: readonly ResolutionClass[] = ['audio', 'sd', 'hd', 'fhd', 'uhd'];

export function resolutionClass(
  width: number | null | undefined,
  height: number | null | undefined,
): ResolutionClass {
  if (!width || !height) return 'audio';
  const short = Math.min(width, height);
  if (short <= 576) return 'sd';
  if (short <= 720) return 'hd';
  if (short <= 1080) return 'fhd';
  return 'uhd';
}

/** Storage categories: an asset's store folders (`hls/` is `renditions`), and live streams' own objects. */
export type StorageCategory = 'source' | 'renditions' | 'images' | 'downloads' | 'captions' | 'live';
export const STORAGE_CATEGORIES: readonly StorageCategory[] = [
  'source',
  'renditions',
  'images',
  'downloads',
  'captions',
  'live',
];

export type DeliveryPath = 'origin' | 'edge';

/** One amount to add. `at` (ms since the epoch, default now) picks the hour bucket. */
export interface UsageEntry {
  owner: string;
  subjectKind: UsageSubjectKind;
  subjectId: string;
  metric: UsageMetric;
  dimension: string;
  value: number;
  at?: number;
}

/**
 * Where features record usage. `add` must stay cheap (it runs on the delivery path for every
 * segment): the implementation adds to an in-memory counter that is flushed to the database
 * every FRAMEHOUSE_USAGE_FLUSH_SECONDS.
 */
export interface UsageSink {
  add(entry: UsageEntry): void;
}

/** The start of the UTC hour holding `ms`, as usage_records.bucket stores it. */
export function hourBucket(ms: number): string {
  return new Date(ms - (ms % 3_600_000)).toISOString();
}

/** The start of the UTC month holding `ms` (encoding-minute quotas are per calendar month, UTC). */
export function monthStart(ms: number): string {
  const d = new Date(ms);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)).toISOString();
}

/** The start of the next UTC month: the end of the window `monthStart` begins. */
export function nextMonthStart(ms: number): string {
  const d = new Date(ms);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)).toISOString();
}

/**
 * An owner's bytes in the store now: the last walk's levels of its assets, plus the originals of
 * its assets made since (not walked yet), plus the declared length of its unfinished resumable
 * uploads (reserved: they will land). Assets in the trash count until they are purged.
 */
export async function storedBytesOf(db: Db, owner: string): Promise<number> {
  const sampled = await db
    .selectFrom('usage_storage')
    .select((eb) => eb.fn.sum<number | string | null>('bytes').as('bytes'))
    .where('owner', '=', owner)
    .executeTakeFirst();
  const unsampled = await db
    .selectFrom('assets')
    .select((eb) => eb.fn.sum<number | string | null>('source_size').as('bytes'))
    .where('created_by', '=', owner)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('usage_storage').select('asset_id').whereRef('usage_storage.asset_id', '=', 'assets.id'),
        ),
      ),
    )
    .executeTakeFirst();
  const reserved = await db
    .selectFrom('uploads')
    .select((eb) => eb.fn.sum<number | string | null>('length').as('bytes'))
    .where('created_by', '=', owner)
    .where('asset_id', 'is', null)
    .executeTakeFirst();
  return Number(sampled?.bytes ?? 0) + Number(unsampled?.bytes ?? 0) + Number(reserved?.bytes ?? 0);
}

/** An owner's encoding seconds (every resolution class) with buckets in [fromIso, toIso). */
export async function encodingSecondsOf(
  db: Db,
  owner: string,
  fromIso: string,
  toIso: string,
): Promise<number> {
  const row = await db
    .selectFrom('usage_records')
    .select((eb) => eb.fn.sum<number | string | null>('value').as('seconds'))
    .where('owner', '=', owner)
    .where('metric', '=', 'encoding_seconds')
    .where('bucket', '>=', fromIso)
    .where('bucket', '<', toIso)
    .executeTakeFirst();
  return Number(row?.seconds ?? 0);
}
