import type { Db } from '../db/database.ts';
import type { UsageStorageTable } from '../db/schema.ts';
import { folderOfKey } from '../storage/media-keys.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { usageRepo } from './usage.repo.ts';
import type { UsageCount } from './usage-meter.ts';
import { billedOwner, hourBucket, type StorageCategory } from './usage-records.ts';

const HOUR_MS = 3_600_000;

/** Store folders (media-keys.ts) and the category each one's bytes count in. */
const FOLDER_CATEGORY: Readonly<Record<string, StorageCategory>> = {
  sources: 'source',
  hls: 'renditions',
  images: 'images',
  downloads: 'downloads',
  captions: 'captions',
  // `live/{broadcastId}/…`: a live stream's recorded segments (its subject is the stream).
  live: 'live',
};

/** The folder and the id after it (`hls/{assetId}/…`, `live/{broadcastId}/…`); null for other keys. */
export function categoryOfKey(key: string): { category: StorageCategory; id: string } | null {
  const at = folderOfKey(key);
  const category = at && Object.hasOwn(FOLDER_CATEGORY, at.folder) ? FOLDER_CATEGORY[at.folder] : undefined;
  return at && category ? { category, id: at.id } : null;
}

/**
 * `bytes` held from `fromMs` to `toMs`, as stored_byte_seconds counts: one per hour bucket the
 * interval touches, each with the seconds that fell in that hour.
 */
export function integrateLevel(
  level: {
    owner: string;
    subjectKind: UsageCount['subject_kind'];
    subjectId: string;
    category: string;
    bytes: number;
  },
  fromMs: number,
  toMs: number,
): UsageCount[] {
  const out: UsageCount[] = [];
  if (!(level.bytes > 0) || !(toMs > fromMs)) return out;
  let t = fromMs;
  while (t < toMs) {
    const end = Math.min(toMs, t - (t % HOUR_MS) + HOUR_MS);
    out.push({
      bucket: hourBucket(t),
      owner: level.owner,
      subject_kind: level.subjectKind,
      subject_id: level.subjectId,
      metric: 'stored_byte_seconds',
      dimension: level.category,
      value: (level.bytes * (end - t)) / 1000,
    });
    t = end;
  }
  return out;
}

export interface WalkSummary {
  objects: number;
  bytes: number;
  subjects: number;
  gone: number;
  /**
   * False when another walk recorded while this one listed (a walk that lost its lease, then
   * a second one): nothing was written, so no interval is counted twice.
   */
  recorded: boolean;
}

/**
 * One storage walk (docs/usage.md, `stored_byte_seconds`): one listing of the whole store, bytes
 * and objects per subject and category; the previous level × the time since it was taken is
 * added to the counters (split at hour boundaries), the new levels replace the old, and levels
 * of subjects with nothing left are removed after their last interval is counted. Objects of
 * subjects the database does not know (orphans) are not billed to anyone.
 */
export async function walkStorage(
  deps: { db: Db; store: ObjectStore; now?: () => number },
  o: { signal?: AbortSignal } = {},
): Promise<WalkSummary> {
  const { db, store } = deps;
  const found = new Map<string, { category: StorageCategory; id: string; bytes: number; objects: number }>();
  let objects = 0;
  let bytes = 0;
  for await (const obj of store.listDetailed('')) {
    o.signal?.throwIfAborted();
    const at = categoryOfKey(obj.key);
    if (!at) continue;
    objects++;
    bytes += obj.size;
    const k = `${at.category}/${at.id}`;
    const level = found.get(k);
    if (level) {
      level.bytes += obj.size;
      level.objects++;
    } else found.set(k, { ...at, bytes: obj.size, objects: 1 });
  }
  const now = (deps.now ?? Date.now)();
  const sampledAt = new Date(now).toISOString();

  // Live objects are filed by broadcast; their subject is the broadcast's stream.
  const broadcastIds = [...found.values()].filter((l) => l.category === 'live').map((l) => l.id);
  const streamOfBroadcast = await usageRepo.streamsOfBroadcasts(db, broadcastIds);
  const levels = new Map<string, UsageStorageTable>();
  const assetIds = new Set<string>();
  const streamIds = new Set<string>();
  for (const l of found.values()) {
    if (l.category === 'live') {
      const stream = streamOfBroadcast.get(l.id);
      if (stream) streamIds.add(stream);
    } else assetIds.add(l.id);
  }
  const owners = await usageRepo.ownersOf(db, [...assetIds], [...streamIds]);
  for (const l of found.values()) {
    const subjectId = l.category === 'live' ? streamOfBroadcast.get(l.id) : l.id;
    if (!subjectId) continue;
    const owner = l.category === 'live' ? owners.streams.get(subjectId) : owners.assets.get(subjectId);
    if (owner === undefined) continue; // no such asset or stream: an orphan
    const k = `${subjectId}\u0000${l.category}`;
    const level = levels.get(k);
    if (level) {
      level.bytes += l.bytes;
      level.objects += l.objects;
    } else
      levels.set(k, {
        asset_id: subjectId,
        category: l.category,
        owner: billedOwner(owner),
        bytes: l.bytes,
        objects: l.objects,
        sampled_at: sampledAt,
      });
  }

  const counts: UsageCount[] = [];
  const gone: { asset_id: string; category: string }[] = [];
  const integrated = await usageRepo.storageLevels(db);
  for (const prev of integrated) {
    const from = Date.parse(prev.sampled_at);
    counts.push(
      ...integrateLevel(
        {
          owner: prev.owner,
          subjectKind: prev.category === 'live' ? 'live_stream' : 'asset',
          subjectId: prev.asset_id,
          category: prev.category,
          bytes: Number(prev.bytes),
        },
        from,
        now,
      ),
    );
    if (!levels.has(`${prev.asset_id}\u0000${prev.category}`))
      gone.push({ asset_id: prev.asset_id, category: prev.category });
  }
  o.signal?.throwIfAborted();
  const recorded = await usageRepo.recordWalk(db, {
    integrated,
    counts,
    levels: [...levels.values()],
    gone,
    signal: o.signal,
  });
  return { objects, bytes, subjects: levels.size, gone: gone.length, recorded };
}
