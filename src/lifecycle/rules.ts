import type { Config } from '../config/config.ts';
import type { AssetKind, AssetStatus } from '../db/schema.ts';
import { folderOfKey } from '../storage/media-keys.ts';

/**
 * The storage lifecycle rules (docs/operations.md, "Lifecycle") as pure functions of an asset's
 * facts, the settings and a clock passed in: what is due, and when. The job and the storage
 * report (`next`) both decide with these.
 */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

export type LifecycleAction = 'drop-original' | 'move-cold' | 'purge-trash' | 'expire-upload';

export interface LifecycleRules {
  /** Originals go this many days after the ladder is ready; null: kept. */
  dropOriginalDays: number | null;
  /** Objects of an asset nobody played for this many days go cold; null: no tiering. */
  coldDays: number | null;
  /** The cold tier as an S3 storage class… */
  coldStorageClass: string | null;
  /** …or as a second store (its URL: never credentials, which come from the environment). */
  coldStorageUrl: string | null;
  /** Resumable uploads and abandoned multipart uploads go this many days after they began. */
  unfinishedUploadDays: number;
  /** Trashed assets are purged this many days after deletion; 0: deleted at once (no trash). */
  trashDays: number;
}

export function rulesFromConfig(
  c: Pick<
    Config,
    | 'lifecycleDropOriginalDays'
    | 'lifecycleColdDays'
    | 'lifecycleColdStorageClass'
    | 'lifecycleColdStorageUrl'
    | 'lifecycleUnfinishedUploadDays'
    | 'trashDays'
  >,
): LifecycleRules {
  return {
    dropOriginalDays: c.lifecycleDropOriginalDays ?? null,
    coldDays: c.lifecycleColdDays ?? null,
    coldStorageClass: c.lifecycleColdStorageClass ?? null,
    coldStorageUrl: c.lifecycleColdStorageUrl ?? null,
    unfinishedUploadDays: c.lifecycleUnfinishedUploadDays,
    trashDays: c.trashDays,
  };
}

/** What the rules look at in an asset. */
export interface AssetFacts {
  id: string;
  kind: AssetKind | null;
  status: AssetStatus;
  deletedAt: string | null;
  sourceDroppedAt: string | null;
  storageTier: 'hot' | 'cold';
  lastViewedAt: string | null;
  /** When its last rendition turned ready; null while one is not ready, or when it has none. */
  readyAt: string | null;
}

/**
 * Video and audio assets with a whole ladder. A photo is its original (every rendering is made
 * from it, and nothing asks for a master playlist that would say it is viewed): images are left
 * alone by both asset rules.
 */
function hasFinishedLadder(a: AssetFacts): a is AssetFacts & { readyAt: string } {
  return (
    a.status === 'ready' &&
    a.deletedAt === null &&
    (a.kind === 'video' || a.kind === 'audio') &&
    a.readyAt !== null
  );
}

/** When the asset's original is due to go (epoch ms), or null when the rule does not apply to it. */
export function dropOriginalDueAt(a: AssetFacts, rules: LifecycleRules): number | null {
  if (rules.dropOriginalDays === null || a.sourceDroppedAt !== null || !hasFinishedLadder(a)) return null;
  return Date.parse(a.readyAt) + rules.dropOriginalDays * DAY_MS;
}

/** When the asset is due to go cold: N days after it was last played, or after it became ready. */
export function moveColdDueAt(a: AssetFacts, rules: LifecycleRules): number | null {
  if (!coldTierConfigured(rules) || a.storageTier === 'cold' || !hasFinishedLadder(a)) return null;
  const idleSince = Math.max(Date.parse(a.readyAt), a.lastViewedAt ? Date.parse(a.lastViewedAt) : 0);
  return idleSince + (rules.coldDays as number) * DAY_MS;
}

export function coldTierConfigured(rules: LifecycleRules): boolean {
  return rules.coldDays !== null && (rules.coldStorageClass !== null || rules.coldStorageUrl !== null);
}

/** When a trashed asset's trash period ends (its purge may still wait for a backup). */
export function purgeTrashDueAt(deletedAt: string, rules: LifecycleRules): number | null {
  return rules.trashDays > 0 ? Date.parse(deletedAt) + rules.trashDays * DAY_MS : null;
}

/** When an upload begun then (resumable, or a multipart upload in the bucket) is removed. */
export function uploadExpiresAt(beganAt: string | Date, rules: LifecycleRules): number {
  return new Date(beganAt).getTime() + rules.unfinishedUploadDays * DAY_MS;
}

export const isDue = (dueAt: number | null, now: number): dueAt is number => dueAt !== null && dueAt <= now;

/** The latest time a date may hold for something `days` long to be over at `now` (ISO, for SQL). */
export const horizon = (days: number, now: number): string => new Date(now - days * DAY_MS).toISOString();

/** Folders of an asset (`{folder}/{assetId}/…`) and whether each goes to the cold tier. */
export const ASSET_FOLDERS: Readonly<Record<string, { cold: boolean }>> = {
  hls: { cold: true },
  sources: { cold: true },
  downloads: { cold: true },
  captions: { cold: true },
  // Posters, thumbnails and storyboards stay hot: lists and players show them before anyone plays.
  images: { cold: false },
};

/** The asset a stored key belongs to, and its folder; null for keys outside the asset folders. */
export function assetOfKey(key: string): { folder: string; assetId: string } | null {
  const at = folderOfKey(key);
  return at && Object.hasOwn(ASSET_FOLDERS, at.folder) ? { folder: at.folder, assetId: at.id } : null;
}

/** One upcoming action of the rules, as the storage report lists it. */
export interface NextAction {
  action: LifecycleAction;
  asset_id?: string;
  /** expire-upload of a resumable upload. */
  upload_id?: string;
  /** expire-upload of a multipart upload found in the bucket (its object key). */
  key?: string;
  bytes: number;
  due_at: string;
  /** purge-trash: its trash period is over, but no backup taken since its deletion has succeeded. */
  waiting_on_backup?: boolean;
}

/** Soonest first (overdue ones at the top), at most `limit`. */
export function soonestFirst(actions: NextAction[], limit: number): NextAction[] {
  const id = (a: NextAction) => a.asset_id ?? a.upload_id ?? a.key ?? '';
  return [...actions]
    .sort(
      (a, b) =>
        a.due_at.localeCompare(b.due_at) || a.action.localeCompare(b.action) || id(a).localeCompare(id(b)),
    )
    .slice(0, limit);
}
