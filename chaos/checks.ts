/**
 * Checks more than one scenario makes: what a finished asset's playlists name exists, nothing in
 * the store belongs to no asset, no row was written twice.
 */
import type { Cluster } from './cluster.ts';
import { type Check, check } from './scenario.ts';

/** Every object the master and rendition playlists of each asset name exists in the store. */
export async function playlistsNameExistingObjects(
  cluster: Cluster,
  assetIds: readonly string[],
): Promise<Check> {
  const missing: string[] = [];
  const keys = new Set(await cluster.listObjects('hls/'));
  for (const id of assetIds) {
    const master = `hls/${id}/master.m3u8`;
    if (!keys.has(master)) {
      missing.push(master);
      continue;
    }
    for (const key of await namedByPlaylists(cluster, id)) if (!keys.has(key)) missing.push(key);
  }
  return check(
    `every playlist of ${assetIds.length} assets names only objects that exist`,
    missing.length === 0,
    missing.length
      ? `missing: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` (+${missing.length - 5})` : ''}`
      : undefined,
  );
}

/** The keys an asset's playlists name (master, rendition playlists, init segments, segments). */
export async function namedByPlaylists(cluster: Cluster, assetId: string): Promise<string[]> {
  const read = async (path: string) => {
    const res = await cluster.api(`/v1/assets/${assetId}`);
    if (!res.ok) return undefined;
    const asset = (await res.json()) as { data: { playback?: { hls?: string } } };
    const hls = asset.data.playback?.hls;
    if (!hls) return undefined;
    const base = hls.slice(0, hls.lastIndexOf('/') + 1);
    const answer = await cluster.api(`${base}${path}`);
    return answer.ok ? answer.text() : undefined;
  };
  const named: string[] = [];
  const master = await read('master.m3u8');
  if (master === undefined) return [`hls/${assetId}/master.m3u8`];
  for (const line of master.split('\n')) {
    const uri = line.startsWith('#') ? /URI="([^"]+)"/.exec(line)?.[1] : line.trim();
    if (!uri?.endsWith('.m3u8') || uri.includes('://')) continue;
    const rung = uri.slice(0, uri.lastIndexOf('/') + 1);
    named.push(`hls/${assetId}/${uri.split('?')[0]}`);
    const playlist = await read(uri.split('?')[0] ?? uri);
    if (playlist === undefined) continue;
    for (const entry of playlist.split('\n')) {
      const ref = entry.startsWith('#') ? /URI="([^"]+)"/.exec(entry)?.[1] : entry.trim();
      if (!ref || ref.includes('://')) continue;
      named.push(`hls/${assetId}/${rung}${ref.split('?')[0]}`);
    }
  }
  return [...new Set(named)];
}

/** No object under an asset's prefixes for an asset the database does not know. */
export async function noOrphanObjects(cluster: Cluster): Promise<Check> {
  const ids = new Set((await cluster.query<{ id: string }>('select id from assets')).map((r) => r.id));
  const orphans: string[] = [];
  for (const prefix of ['sources/', 'hls/', 'images/', 'downloads/']) {
    for (const key of await cluster.listObjects(prefix)) {
      const id = key.slice(prefix.length).split('/')[0] ?? '';
      if (!ids.has(id)) orphans.push(key);
    }
  }
  return check(
    'no object belongs to an asset the database does not know',
    orphans.length === 0,
    orphans.length ? `${orphans.length} orphans, e.g. ${orphans.slice(0, 3).join(', ')}` : undefined,
  );
}

/** No (asset, rendition name) pair and no (asset, event type) pair that should be single appears twice. */
export async function noDuplicateRows(cluster: Cluster, assetIds: readonly string[]): Promise<Check> {
  const twice: string[] = [];
  for (const id of assetIds) {
    const renditions = await cluster.query<{ name: string; n: number | string }>(
      'select name, count(*) as n from renditions where asset_id = ? group by name having count(*) > 1',
      [id],
    );
    for (const r of renditions) twice.push(`${id} rendition ${r.name} ×${r.n}`);
    const events = await cluster.query<{ type: string; n: number | string }>(
      "select type, count(*) as n from events where asset_id = ? and type in ('asset.ready', 'asset.errored', 'asset.created') group by type having count(*) > 1",
      [id],
    );
    for (const e of events) twice.push(`${id} event ${e.type} ×${e.n}`);
  }
  return check(
    'no duplicate rendition rows or once-only events',
    twice.length === 0,
    twice.length ? twice.slice(0, 5).join(', ') : undefined,
  );
}
