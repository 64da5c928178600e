import { useEffect, useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { type Asset, api, type Page } from '../api.ts';
import { CursorPager } from '../cursor-pager.tsx';
import { formatDate, formatDuration } from '../i18n/format.ts';
import * as m from '../i18n/generated/messages.js';
import { useTrashDays } from '../instance.ts';
import { isAdmin, useSession } from '../session.ts';

const PAGE_SIZE = 24;

type Trashed = Asset & { deleted_at: string; purge_after: string };

/**
 * Deleted assets, newest deletion first, until they are purged: restore one, or (admins) delete
 * it for good now. No posters: an asset in the trash plays and shows nothing, its frames neither.
 */
export function TrashPage() {
  const { session } = useSession();
  const days = useTrashDays();
  const [assets, setAssets] = useState<Trashed[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<{ text: string; id?: string } | null>(null);
  const [cursors, setCursors] = useState<string[]>([]);
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const [next, setNext] = useState<string | null>(null);

  const load = async () => {
    const params = new URLSearchParams({ trashed: 'true', limit: String(PAGE_SIZE) });
    if (cursor) params.set('cursor', cursor);
    try {
      const page = await api<Page<Trashed>>(`/v1/assets?${params}`);
      setAssets(page.data);
      setNext(page.next_cursor);
      setError(null);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  useEffect(() => {
    void load();
  }, [cursor]);

  const act = async (a: Trashed, what: 'restore' | 'purge') => {
    const title = titleOf(a);
    if (what === 'purge' && !confirm(m.library_trash_purge_confirm({ title }))) return;
    try {
      if (what === 'restore') await api(`/v1/assets/${a.id}/restore`, { method: 'POST' });
      else await api(`/v1/assets/${a.id}?permanent=true`, { method: 'DELETE' });
      setAssets((list) => list?.filter((x) => x.id !== a.id) ?? null);
      setDone(
        what === 'restore'
          ? { text: m.library_trash_restored({ title }), id: a.id }
          : { text: m.library_trash_purged({ title }) },
      );
    } catch (err) {
      setDone({ text: (err as Error).message });
    }
  };

  return (
    <section>
      <nav class="tabs" aria-label={m.library_views()}>
        <Link href="/">{m.library_title()}</Link>
        <Link href="/trash" aria-current="page">
          {m.library_trash()}
        </Link>
      </nav>
      <h1>{m.library_trash()}</h1>
      {days !== null && days > 0 && <p class="facts">{m.library_trash_stay({ count: days })}</p>}
      {done && (
        <p role="status">
          {done.text} {done.id && <Link href={`/assets/${done.id}`}>{m.library_trash_open()}</Link>}
        </p>
      )}
      {error && (
        <p class="error" role="alert">
          {m.library_trash_load_failed({ reason: error })}{' '}
          <button type="button" onClick={load}>
            {m.app_try_again()}
          </button>
        </p>
      )}
      {assets && assets.length === 0 && cursors.length === 0 && (
        <div class="empty">
          <p>{m.library_trash_empty()}</p>
        </div>
      )}
      <ul class="grid" aria-live="polite">
        {assets?.map((a) => (
          <li key={a.id} class="card" data-trashed-id={a.id}>
            <div class="poster">
              <div class="poster-blank" aria-hidden="true" />
              {a.duration != null && <span class="duration">{formatDuration(a.duration)}</span>}
            </div>
            <div class="card-body" style={{ flexDirection: 'column', alignItems: 'flex-start' }}>
              <span class="title">{titleOf(a)}</span>
              <span class="facts">
                {m.library_trash_deleted_on({ date: formatDate(a.deleted_at) })} ·{' '}
                <time dateTime={a.purge_after}>
                  {m.library_trash_purged_after({ date: formatDate(a.purge_after) })}
                </time>
              </span>
              <span class="button-row">
                <button
                  type="button"
                  onClick={() => void act(a, 'restore')}
                  aria-label={m.library_trash_restore_label({ title: titleOf(a) })}
                >
                  {m.library_trash_restore()}
                </button>
                {isAdmin(session) && (
                  <button
                    type="button"
                    class="danger"
                    onClick={() => void act(a, 'purge')}
                    aria-label={m.library_trash_purge_label({ title: titleOf(a) })}
                  >
                    {m.library_trash_purge()}
                  </button>
                )}
              </span>
            </div>
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

const titleOf = (a: Asset) => a.title || a.source.filename || m.app_untitled();
