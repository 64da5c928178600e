import { useEffect, useState } from 'preact/hooks';
import { Link, useLocation } from 'wouter-preact';
import { api, type Page } from '../api.ts';
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
        <h1>Live streams</h1>
      </div>
      {canEdit(session) && <CreateStream />}
      {error && (
        <p class="error" role="alert">
          The live streams could not be loaded: {error}{' '}
          <button type="button" onClick={() => load()}>
            Try again
          </button>
        </p>
      )}
      {streams && streams.length === 0 && (
        <div class="empty">
          <p>No live streams yet. Create one, then point OBS at it.</p>
        </div>
      )}
      {streams && streams.length > 0 && (
        <div class="table-wrap">
          <table class="table streams">
            <thead>
              <tr>
                <th scope="col">Title</th>
                <th scope="col">Status</th>
                <th scope="col">Latency</th>
                <th scope="col">Recordings</th>
                <th scope="col">Created</th>
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
                  <td>{s.latency_mode === 'low' ? 'Low' : 'Standard'}</td>
                  <td>{s.record ? s.recordings.length : 'Off'}</td>
                  <td>{new Date(s.created_at).toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {next && (
        <nav class="pager" aria-label="Pages">
          <button type="button" onClick={() => load(next)}>
            More
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
      <summary>Create a live stream</summary>
      <form
        class="stack narrow-form"
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
          Title
          <input
            value={title}
            maxLength={500}
            placeholder="Spring sale"
            onInput={(e) => setTitle(e.currentTarget.value)}
          />
        </label>
        <fieldset>
          <legend>Latency</legend>
          <label class="inline">
            <input
              type="radio"
              name="latency"
              checked={latency === 'low'}
              onChange={() => setLatency('low')}
            />
            Low (about 2 seconds; for live sales, questions and answers)
          </label>
          <label class="inline">
            <input
              type="radio"
              name="latency"
              checked={latency === 'standard'}
              onChange={() => setLatency('standard')}
            />
            Standard (longer segments; steadier on weak networks)
          </label>
        </fieldset>
        <fieldset>
          <legend>Who can watch</legend>
          <label class="inline">
            <input
              type="radio"
              name="policy"
              checked={policy === 'public'}
              onChange={() => setPolicy('public')}
            />
            Anyone with the link
          </label>
          <label class="inline">
            <input
              type="radio"
              name="policy"
              checked={policy === 'signed'}
              onChange={() => setPolicy('signed')}
            />
            Only people given a signed link
          </label>
        </fieldset>
        <RecordingFields
          record={record}
          onRecord={setRecord}
          reconnect={reconnect}
          onReconnect={setReconnect}
          reconnectLabel="Reconnect window (seconds an encoder may drop out before the broadcast ends)"
        />
        <button type="submit" disabled={busy}>
          Create the stream
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
