import type { Insertable } from 'kysely';
import type { AssetsTable } from '../../src/db/schema.ts';

/**
 * A ready 10 s 320×240 video's `assets` row, for tests that set their state up in the database;
 * `over` changes any column.
 */
export function assetRow(id: string, over: Partial<Insertable<AssetsTable>> = {}): Insertable<AssetsTable> {
  const at = '2026-12-01T00:00:00.000Z';
  return {
    id,
    status: 'ready',
    kind: 'video',
    title: id,
    source_key: `sources/${id}/original`,
    source_filename: null,
    source_size: 100,
    source_sha256: null,
    duration: 10,
    width: 320,
    height: 240,
    is_360: 0,
    progress: 1,
    media_info: null,
    errors: '[]',
    created_at: at,
    updated_at: at,
    created_by: null,
    ...over,
  };
}
