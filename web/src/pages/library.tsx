import { useEffect, useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { type Asset, api, type Page } from '../api.ts';
import { CursorPager } from '../cursor-pager.tsx';
import { formatDuration } from '../i18n/format.ts';
import * as m from '../i18n/generated/messages.js';
import { useTrashDays } from '../instance.ts';
import { ASSET_EVENTS, useLiveEvents } from '../live.ts';
import { STATUS_LABEL, StatusBadge } from '../status-badge.tsx';

const PAGE_SIZE = 24;

/** Every asset, newest first: posters, live status, search by title, filter by status, pages. */
export function LibraryPage() {
  const [assets, setAssets] = useState<Asset[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [cursors, setCursors] = useState<string[]>([]); // cursors of the pages before this one
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const [next, setNext] = useState<string | null>(null);
  const [query, setQuery] = useState('');
  const [status, setStatus] = useState('');
  const trashDays = useTrashDays();

  const load = async () => {
    const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (cursor) params.set('cursor', cursor);
    if (query.trim()) params.set('q', query.trim());
    if (status) params.set('status', status);
    try {
      const page = await api<Page<Asset>>(`/v1/assets?${params}`);
      setAssets(page.data);
      setNext(page.next_cursor);
      setError(null);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  useEffect(() => {
    const t = setTimeout(load, query ? 250 : 0);
    return () => clearTimeout(t);
  }, [cursor, query, status]);

  // Status badges follow the pipeline without a reload; a new upload appears at the top.
  useLiveEvents(ASSET_EVENTS, async (e) => {
    if (!e.asset_id) return;
    if (e.type === 'asset.deleted') {
      setAssets((list) => list?.filter((a) => a.id !== e.asset_id) ?? null);
      return;
    }
    const fresh = await api<{ data: Asset }>(`/v1/assets/${e.asset_id}`).catch(() => null);
    if (!fresh) return;
    setAssets((list) => {
      if (!list) return list;
      const at = list.findIndex((a) => a.id === fresh.data.id);
      if (at >= 0) return list.map((a) => (a.id === fresh.data.id ? fresh.data : a));
      return cursors.length === 0 && !query && !status ? [fresh.data, ...list].slice(0, PAGE_SIZE) : list;
    });
  });

  const filtered = Boolean(query || status);
  return (
    <section>
      {trashDays !== null && trashDays > 0 && (
        <nav class="tabs" aria-label={m.library_views()}>
          <Link href="/" aria-current="page">
            {m.library_title()}
          </Link>
          <Link href="/trash">{m.library_trash()}</Link>
        </nav>
      )}
      <div class="toolbar">
        <h1>{m.library_title()}</h1>
        <label>
          <span class="visually-hidden">{m.library_search()}</span>
          <input
            type="search"
            placeholder={m.library_search()}
            value={query}
            onInput={(e) => {
              setCursors([]);
              setCursor(undefined);
              setQuery(e.currentTarget.value);
            }}
          />
        </label>
        <label>
          <span class="visually-hidden">{m.library_status()}</span>
          <select
            value={status}
            onChange={(e) => {
              setCursors([]);
              setCursor(undefined);
              setStatus(e.currentTarget.value);
            }}
          >
            <option value="">{m.library_any_status()}</option>
            {(['ready', 'processing', 'waiting', 'errored'] as const).map((s) => (
              <option key={s} value={s}>
                {STATUS_LABEL[s]()}
              </option>
            ))}
          </select>
        </label>
      </div>
      {error && (
        <p class="error" role="alert">
          {m.library_load_failed({ reason: error })}{' '}
          <button type="button" onClick={load}>
            {m.app_try_again()}
          </button>
        </p>
      )}
      {assets && assets.length === 0 && (
        <div class="empty">
          {filtered ? (
            <p>{m.library_no_match()}</p>
          ) : (
            <>
              <p>{m.library_empty()}</p>
              <p>
                <Link href="/upload" class="button">
                  {m.library_upload_first()}
                </Link>
              </p>
            </>
          )}
        </div>
      )}
      <ul class="grid" aria-live="polite">
        {assets?.map((a) => (
          <li key={a.id} class="card" data-asset-id={a.id}>
            <Link href={`/assets/${a.id}`}>
              <div class="poster">
                {/* A private video's frames need a token: no poster in the list. */}
                {a.playback && a.width && a.playback_ids[0]?.policy !== 'signed' ? (
                  <img
                    src={`${a.playback.thumbnail}?width=320`}
                    alt=""
                    loading="lazy"
                    width={320}
                    height={180}
                  />
                ) : (
                  <div class="poster-blank" aria-hidden="true" />
                )}
                {a.duration != null && <span class="duration">{formatDuration(a.duration)}</span>}
                {a.is_360 && <span class="tag360">360°</span>}
              </div>
              <div class="card-body">
                <span class="title">{a.title || a.source.filename || m.app_untitled()}</span>
                <StatusBadge asset={a} />
              </div>
            </Link>
          </li>
        ))}
      </ul>
      <CursorPager
        cursors={cursors}
        cursor={cursor}
        next={next}
        onChange={(previous, at) => {
          setCursors(previous);
          setCursor(at);
        }}
      />
    </section>
  );
}
