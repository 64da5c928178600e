import { useEffect, useState } from 'preact/hooks';
import { Link, useLocation } from 'wouter-preact';
import { api, type Page } from '../api.ts';
import { formatDateTime, formatNumber } from '../i18n/format.ts';
import * as m from '../i18n/generated/messages.js';
import { holdSubmitWhileComposing } from '../i18n/ime.ts';
import { LIVE_STREAM_EVENTS, useLiveEvents } from '../live.ts';
import { canEdit, useSession } from '../session.ts';
import { LiveStatusBadge } from '../streams/live-status-badge.tsx';
import { type LiveStream, streamTitle } from '../streams/live-stream.ts';
import { RecordingFields } from '../streams/recording-fields.tsx';

const PAGE_SIZE = 50;

/** `/streams`: every live stream with its status (following the live events), and a new one. */
export function StreamsPage() {
  const { session } = useSession();
  const [streams, setStreams] = useState<LiveStream[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = async (cursor?: string) => {
    const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (cursor) params.set('cursor', cursor);
    try {
      const page = await api<Page<LiveStream>>(`/v1/live-streams?${params}`);
      setStreams((list) => (cursor ? [...(list ?? []), ...page.data] : page.data));
      setNext(page.next_cursor);
      setError(null);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  useEffect(() => {
    void load();
  }, []);

  // A badge changes as an encoder connects or drops; a stream made elsewhere appears at the top.
  useLiveEvents(LIVE_STREAM_EVENTS, async (e) => {
    const id = e.data.live_stream_id;
    if (typeof id !== 'string') return;
    if (e.type === 'live_stream.deleted') {
      setStreams((list) => list?.filter((s) => s.id !== id) ?? null);
      return;
    }
    const fresh = await api<{ data: LiveStream }>(`/v1/live-streams/${id}`).catch(() => null);
    if (!fresh) return;
    setStreams((list) => {
      if (!list) return list;
      if (list.some((s) => s.id === id)) return list.map((s) => (s.id === id ? fresh.data : s));
      return [fresh.data, ...list];
    });
  });

  return (
    <section>
      <div class="toolbar">
        <h1>{m.live_streams_title()}</h1>
      </div>
      {canEdit(session) && <CreateStream />}
      {error && (
        <p class="error" role="alert">
          {m.live_streams_load_failed({ reason: error })}{' '}
          <button type="button" onClick={() => load()}>
            {m.app_try_again()}
          </button>
        </p>
      )}
      {streams && streams.length === 0 && (
        <div class="empty">
          <p>{m.live_streams_empty()}</p>
        </div>
      )}
      {streams && streams.length > 0 && (
        <div class="table-wrap">
          <table class="table streams">
            <thead>
              <tr>
                <th scope="col">{m.live_field_title()}</th>
                <th scope="col">{m.live_col_status()}</th>
                <th scope="col">{m.live_col_latency()}</th>
                <th scope="col">{m.live_recordings_title()}</th>
                <th scope="col">{m.live_col_created()}</th>
              </tr>
            </thead>
            <tbody aria-live="polite">
              {streams.map((s) => (
                <tr key={s.id} data-stream-id={s.id}>
                  <td>
                    <Link href={`/streams/${s.id}`}>{streamTitle(s)}</Link>
                  </td>
                  <td>
                    <LiveStatusBadge status={s.status} />
                  </td>
                  <td>{s.latency_mode === 'low' ? m.live_latency_low() : m.live_latency_standard()}</td>
                  <td>{s.record ? formatNumber(s.recordings.length) : m.live_recordings_off_short()}</td>
                  <td>{formatDateTime(s.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {next && (
        <nav class="pager" aria-label={m.live_streams_pages()}>
          <button type="button" onClick={() => load(next)}>
            {m.live_streams_more()}
          </button>
        </nav>
      )}
    </section>
  );
}

/** The form that makes a stream, then opens its page (the key and the OBS settings are there). */
function CreateStream() {
  const [, navigate] = useLocation();
  const [title, setTitle] = useState('');
  const [latency, setLatency] = useState<'low' | 'standard'>('low');
  const [policy, setPolicy] = useState<'public' | 'signed'>('public');
  const [record, setRecord] = useState(true);
  const [reconnect, setReconnect] = useState(60);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <details class="panel">
      <summary>{m.live_create_summary()}</summary>
      <form
        class="stack narrow-form"
        onKeyDown={holdSubmitWhileComposing}
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          try {
            const { data } = await api<{ data: LiveStream }>('/v1/live-streams', {
              method: 'POST',
              json: {
                title: title.trim() || null,
                latency_mode: latency,
                playback_policy: policy,
                record,
                reconnect_window: reconnect,
              },
            });
            navigate(`/streams/${data.id}`);
          } catch (err) {
            setError((err as Error).message);
            setBusy(false);
          }
        }}
      >
        <label>
          {m.live_field_title()}
          <input
            value={title}
            maxLength={500}
            placeholder={m.live_create_title_placeholder()}
            onInput={(e) => setTitle(e.currentTarget.value)}
          />
        </label>
        <fieldset>
          <legend>{m.live_col_latency()}</legend>
          <label class="inline">
            <input
              type="radio"
              name="latency"
              checked={latency === 'low'}
              onChange={() => setLatency('low')}
            />
            {m.live_create_latency_low()}
          </label>
          <label class="inline">
            <input
              type="radio"
              name="latency"
              checked={latency === 'standard'}
              onChange={() => setLatency('standard')}
            />
            {m.live_create_latency_standard()}
          </label>
        </fieldset>
        <fieldset>
          <legend>{m.live_create_who()}</legend>
          <label class="inline">
            <input
              type="radio"
              name="policy"
              checked={policy === 'public'}
              onChange={() => setPolicy('public')}
            />
            {m.live_create_public()}
          </label>
          <label class="inline">
            <input
              type="radio"
              name="policy"
              checked={policy === 'signed'}
              onChange={() => setPolicy('signed')}
            />
            {m.live_create_signed()}
          </label>
        </fieldset>
        <RecordingFields
          record={record}
          onRecord={setRecord}
          reconnect={reconnect}
          onReconnect={setReconnect}
          reconnectLabel={m.live_create_reconnect()}
        />
        <button type="submit" disabled={busy}>
          {m.live_create_submit()}
        </button>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </form>
    </details>
  );
}
