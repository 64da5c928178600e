import { isDeepStrictEqual } from 'node:util';
import { type Answer, Client, sha256 } from './backup-fixtures.ts';
import { ADMIN_KEY, type Populated } from './backup-state.ts';
import { isMaintenanceJob } from './maintenance-jobs.ts';

/**
 * Every API answer that describes a site's state, recorded so two sites (before a backup, after
 * its restore) can be compared: each list and each resource in it, and what a player fetches
 * (playlists as text; pictures, downloads and renders by SHA-256). Keys are "GET path".
 */
export type Answers = Map<string, { status: number; body: unknown }>;

interface Listed {
  id: string;
}
interface ApiKey {
  name: string;
  last_used_at: string | null;
}
/** The name of the key FRAMEHOUSE_ADMIN_API_KEY makes, which the recording authenticates with. */
const RECORDING_KEY_NAME = 'FRAMEHOUSE_ADMIN_API_KEY';

export async function recordAnswers(base: string, p: Populated): Promise<Answers> {
  const api = new Client(base, ADMIN_KEY);
  const answers: Answers = new Map();
  const keep = (path: string, res: Answer) => {
    const type = res.headers.get('content-type') ?? '';
    const body =
      res.body === null
        ? { content_type: type, bytes: res.bytes.length, sha256: sha256(res.bytes) }
        : res.body;
    answers.set(`GET ${path}`, { status: res.status, body });
    return res;
  };
  const get = async <T>(path: string) => keep(path, await api.call<T>(path)).body as T;
  /** Follows `next_cursor` (or `after` for the event feed) until the list ends. */
  const all = async <T>(path: string, cursorParam = 'cursor'): Promise<T[]> => {
    const items: T[] = [];
    let url = path;
    for (let page = 0; page < 50; page++) {
      const body = await get<{ data: T[]; next_cursor?: string | null }>(url);
      items.push(...body.data);
      const next = body.next_cursor;
      if (!next || body.data.length === 0) break;
      url = `${path}${path.includes('?') ? '&' : '?'}${cursorParam}=${encodeURIComponent(next)}`;
    }
    return items;
  };

  await get('/v1/instance');
  for (const trashed of await all<Listed>('/v1/assets?trashed=true&limit=100'))
    await get(`/v1/assets/${trashed.id}`);
  await get('/v1/users');
  for (const key of (await get<{ data: Listed[] }>('/v1/api-keys')).data) await get(`/v1/api-keys/${key.id}`);
  // The key these requests are made with: its last use is written (at most once a minute) by
  // the recording itself, so it says when the recording ran, not what the site held.
  for (const [path, answer] of answers) {
    if (!path.startsWith('GET /v1/api-keys')) continue;
    const data = (answer.body as { data: ApiKey | ApiKey[] }).data;
    for (const key of Array.isArray(data) ? data : [data])
      if (key.name === RECORDING_KEY_NAME) key.last_used_at = 'the time of this recording';
  }
  await get('/v1/presets');
  for (const b of await all<Listed>('/v1/batches')) await get(`/v1/batches/${b.id}`);
  await get('/v1/playback-keys');
  for (const hook of (await get<{ data: Listed[] }>('/v1/webhooks')).data) {
    await get(`/v1/webhooks/${hook.id}`);
    await all(`/v1/webhooks/${hook.id}/deliveries`);
  }
  await all('/v1/events?limit=500', 'after');
  await all('/v1/audit?limit=500');
  await all('/v1/qoe/views');
  // Jobs are in a backup (a restored cluster finishes queued work): every job the site ran is
  // listed, but not the maintenance every worker schedules for itself (viewer-analytics upkeep,
  // the bucket scan, the trash purge, … : isMaintenanceJob), which a restarted site runs again at
  // times of its own.
  const jobs = await api.call<{ data: { type: string }[] }>('/v1/admin/jobs?limit=500');
  answers.set('GET /v1/admin/jobs?limit=500', {
    status: jobs.status,
    body: { data: jobs.body.data.filter((j) => !isMaintenanceJob(j.type)) },
  });

  type Asset = {
    id: string;
    kind: string;
    playback_ids: { id: string; policy: string }[];
    playback: { hls: string; thumbnail: string; storyboard: string } | null;
    tracks?: { id: string }[];
    downloads?: { name: string; status: string }[];
  };
  for (const listed of await all<Asset>('/v1/assets?limit=100')) {
    const asset = (await get<{ data: Asset }>(`/v1/assets/${listed.id}`)).data;
    await get(`/v1/assets/${asset.id}/chat`);
    for (const track of (await get<{ data: Listed[] }>(`/v1/assets/${asset.id}/tracks`)).data)
      await get(`/v1/assets/${asset.id}/tracks/${track.id}`);
    if (asset.kind === 'image')
      for (const preset of p.presets) await get(`/v1/assets/${asset.id}/variants/${preset}`);
    for (const pid of asset.playback_ids) {
      const token = pid.id === p.signed.playbackId ? `?token=${p.signed.token}` : '';
      await recordPlayback(pid.id, token, asset);
    }
  }

  async function recordPlayback(pid: string, token: string, asset: Asset) {
    const play = (path: string) => get<unknown>(`/play/${pid}/${path}${token}`);
    await play('info.json');
    if (asset.kind === 'image') return;
    await play('thumbnail.jpg');
    await play('storyboard.vtt');
    await play('storyboard.jpg');
    for (const d of asset.downloads ?? []) if (d.status === 'ready') await play('download.mp4');
    const master = await play('master.m3u8');
    if (typeof master !== 'string') return;
    // Every playlist the master names (renditions, subtitles); each one's objects are in the walk.
    const uris = [
      ...[...master.matchAll(/URI="([^"]+)"/g)].map((m) => m[1] ?? ''),
      ...master.split('\n').filter((l) => l && !l.startsWith('#')),
    ];
    for (const uri of uris) await get(`/play/${pid}/${uri.includes('?') || !token ? uri : `${uri}${token}`}`);
  }

  for (const stream of await all<{ id: string; playback_ids: { id: string }[] }>(
    '/v1/live-streams?limit=100',
  )) {
    await get(`/v1/live-streams/${stream.id}`);
    for (const part of ['chat', 'products', 'bans', 'room', 'summary'])
      await get(`/v1/live-streams/${stream.id}/${part}`);
    const products = (await api.get<{ data: { id: string }[] }>(`/v1/live-streams/${stream.id}/products`))
      .data;
    for (const { id } of stream.playback_ids) {
      await get(`/play/${id}/info.json`);
      await get(`/v1/rooms/${id}`);
      for (const product of products) await get(`/v1/rooms/${id}/products/${product.id}/image.jpg`);
    }
  }
  // What the store holds, by class and prefix, and what the lifecycle will do next. Last: the
  // answers above may render an object (a thumbnail), and the report is measured once a minute.
  const storage = await api.call<{ data: Record<string, unknown> }>('/v1/admin/storage');
  // measured_at: when the answering server measured (at most once a minute), not site state.
  answers.set('GET /v1/admin/storage', {
    status: storage.status,
    body: { data: { ...storage.body.data, measured_at: typeof storage.body.data?.measured_at } },
  });
  return answers;
}

/**
 * Values that may differ between a site and its restore, each with the reason it is legitimate:
 * [path pattern, field name, why].
 */
export const VOLATILE: ReadonlyArray<readonly [RegExp, string, string]> = [];

/**
 * What differs between two recordings, one line per value (empty: none). `volatile` names the
 * values that may legitimately differ, each with its reason, as [path pattern, field, why].
 */
export function diffAnswers(
  before: Answers,
  after: Answers,
  volatile: ReadonlyArray<readonly [RegExp, string, string]> = [],
): string[] {
  const problems: string[] = [];
  const skip = (path: string, field: string) =>
    volatile.some(([pattern, name]) => pattern.test(path) && name === field);
  const walk = (path: string, where: string, a: unknown, b: unknown) => {
    if (isDeepStrictEqual(a, b)) return;
    if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
      const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
      for (const k of keys) {
        if (!Array.isArray(a) && skip(path, k)) continue;
        walk(path, `${where}.${k}`, (a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]);
      }
      return;
    }
    problems.push(`${path} ${where}: ${show(a)} → ${show(b)}`);
  };
  for (const [path, was] of before) {
    const now = after.get(path);
    if (!now) problems.push(`${path}: not answered after`);
    else walk(path, '', was, now);
  }
  for (const path of after.keys()) if (!before.has(path)) problems.push(`${path}: answered only after`);
  return problems;
}

function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 300 ? `${s.slice(0, 300)}…` : s;
}
