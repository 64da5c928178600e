import { useEffect, useState } from 'preact/hooks';
import { Link, useLocation } from 'wouter-preact';
import { api } from '../api.ts';
import { CopyField } from '../copy-field.tsx';
import { formatNumber } from '../i18n/format.ts';
import * as m from '../i18n/generated/messages.js';
import { holdSubmitWhileComposing } from '../i18n/ime.ts';
import { rich } from '../i18n/rich.tsx';
import { lazy } from '../lazy.tsx';
import { ConcurrencyPanel } from '../lazy-pages.ts';
import { LIVE_STREAM_EVENTS, useLiveEvents } from '../live.ts';
import { LivePlayer } from '../player/live-player.tsx';
import { canEdit, useSession } from '../session.ts';
import { LiveStatusBadge } from '../streams/live-status-badge.tsx';
import { type LiveStream, STATUS_HELP, streamTitle } from '../streams/live-stream.ts';
import { obsSettings } from '../streams/obs-settings.ts';
import { useOwnerTokens } from '../streams/owner-tokens.ts';
import { RecordingFields } from '../streams/recording-fields.tsx';
import { StreamHealth } from '../streams/stream-health.tsx';
import { WhepMonitor } from '../streams/whep-monitor.tsx';

/**
 * What the events do not carry (the live node's measurements while active, why a publish was
 * refused) is read again this often while the page is open.
 */
const REFRESH_MS = 6000;
/** Where a signed stream's viewers get their token (an API route, the same in every language). */
const PLAYBACK_TOKENS_ROUTE = 'POST /v1/playback-tokens';

/**
 * `/streams/{id}`: everything a broadcaster needs — where to send the stream and how (OBS),
 * its status as it changes, why a publish was refused, the player, and the controls.
 */
export function StreamPage({ id }: { id: string }) {
  const { session } = useSession();
  const [, navigate] = useLocation();
  const [stream, setStream] = useState<LiveStream | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [gone, setGone] = useState(false);
  const load = () =>
    api<{ data: LiveStream }>(`/v1/live-streams/${id}`)
      .then((r) => {
        setStream(r.data);
        setError(null);
      })
      .catch((err: Error & { status?: number }) => {
        if (err.status === 404) setGone(true);
        else setError(err.message);
      });
  useEffect(() => {
    void load();
    const t = setInterval(() => void load(), REFRESH_MS);
    return () => clearInterval(t);
  }, [id]);
  useLiveEvents(LIVE_STREAM_EVENTS, (e) => {
    if (e.data.live_stream_id !== id) return;
    if (e.type === 'live_stream.deleted') setGone(true);
    else void load();
  });

  if (gone)
    return (
      <p role="alert">
        {m.live_stream_gone()} <Link href="/streams">{m.live_stream_back()}</Link>
      </p>
    );
  if (!stream)
    return error ? (
      <p class="error" role="alert">
        {error}
      </p>
    ) : (
      <p aria-busy="true">{m.app_loading()}</p>
    );
  const title = streamTitle(stream);
  const playbackId = stream.playback_ids[0];
  const editable = canEdit(session);
  return (
    <article class="live-stream" data-status={stream.status}>
      <h1>
        {title} <LiveStatusBadge status={stream.status} />
      </h1>
      <p class="status-help" role="status">
        {STATUS_HELP[stream.status]()}
      </p>
      {stream.last_error && (
        <div class="live-error" role="alert" data-code={stream.last_error.code}>
          <strong>{m.live_stream_last_error()}</strong> {stream.last_error.message}
        </div>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {stream.playback && playbackId && (
        <OwnerPlayer stream={stream} hls={stream.playback.hls} playbackId={playbackId} />
      )}
      {stream.current && <StreamHealth stream={stream} />}
      <ConcurrencyPanel liveStreamId={stream.id} />
      {editable && playbackId && <LazyHostRoom stream={stream} />}
      <Ingest stream={stream} />
      {playbackId && (
        <section class="panel">
          <h2>{m.live_watch_title()}</h2>
          {playbackId.policy === 'public' ? (
            <CopyField
              label={m.live_watch_viewer_page()}
              value={`${location.origin}/live/${playbackId.id}`}
            />
          ) : (
            <p>
              {rich(m.live_watch_signed, {
                route: <code>{PLAYBACK_TOKENS_ROUTE}</code>,
                url: <code>{`${location.origin}/live/${playbackId.id}?token=…`}</code>,
              })}
            </p>
          )}
        </section>
      )}
      {editable && (
        <Controls
          stream={stream}
          onChanged={setStream}
          onDeleted={() => navigate('/streams')}
          setError={setError}
        />
      )}
      {editable && <Edit stream={stream} onSaved={setStream} />}
      <Recordings stream={stream} />
    </article>
  );
}

/**
 * The room's host panels, fetched when the stream page opens: the viewer and embed pages share
 * this bundle's entry and must not pay for moderation and product editing.
 */
const LazyHostRoom = lazy<{ stream: LiveStream }>(
  () => import('../room/host/host-room.tsx').then((p) => p.HostRoom),
  { loading: m.room_loading, failed: m.live_room_controls_failed },
);

function OwnerPlayer({
  stream,
  hls,
  playbackId,
}: {
  stream: LiveStream;
  hls: string;
  playbackId: { id: string; policy: 'public' | 'signed' };
}) {
  const { tokens, failure, ready } = useOwnerTokens(playbackId.id, playbackId.policy === 'signed');
  if (failure)
    return (
      <p class="error" role="alert">
        {failure}
      </p>
    );
  if (!ready) return <p aria-busy="true">{m.live_player_preparing()}</p>;
  return (
    <>
      <LivePlayer
        hls={hls}
        lowLatency={stream.latency_mode === 'low'}
        tokens={tokens}
        title={streamTitle(stream)}
        status={stream.status}
        autoplay
      />
      {stream.status === 'active' && <WhepMonitor playbackId={playbackId.id} tokens={tokens} />}
    </>
  );
}

function Ingest({ stream }: { stream: LiveStream }) {
  return (
    <section class="panel ingest" aria-label={m.live_ingest_title()}>
      <h2>{m.live_ingest_title()}</h2>
      <CopyField label={m.live_ingest_rtmp()} value={stream.ingest.rtmp} />
      {stream.stream_key !== undefined ? (
        <CopyField label={m.live_ingest_key()} value={stream.stream_key} masked />
      ) : (
        <p>{m.live_ingest_key_hidden()}</p>
      )}
      {stream.ingest.rtmps && <CopyField label={m.live_ingest_rtmps()} value={stream.ingest.rtmps} />}
      {stream.ingest.srt && (
        // The SRT URL holds the key and the passphrase: masked like the key.
        <CopyField
          label={m.live_ingest_srt()}
          value={stream.ingest.srt}
          masked={stream.stream_key !== undefined}
        />
      )}
      <details>
        <summary>{m.live_obs_summary()}</summary>
        <CopyField label={m.live_obs_label()} value={obsSettings(stream)} multiline />
      </details>
    </section>
  );
}

function Controls({
  stream,
  onChanged,
  onDeleted,
  setError,
}: {
  stream: LiveStream;
  onChanged: (s: LiveStream) => void;
  onDeleted: () => void;
  setError: (message: string | null) => void;
}) {
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const act = async (path: string, done: string) => {
    setBusy(true);
    try {
      const r = await api<{ data: LiveStream }>(`/v1/live-streams/${stream.id}/${path}`, {
        method: 'POST',
        json: {},
      });
      onChanged(r.data);
      setMessage(done);
      setError(null);
    } catch (err) {
      setMessage((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const broadcasting = stream.status === 'active' || stream.status === 'disconnected';
  return (
    <section class="panel controls-panel" aria-label={m.live_controls_label()}>
      <h2>{m.live_controls_title()}</h2>
      <div class="button-row">
        {broadcasting && (
          <button type="button" disabled={busy} onClick={() => act('complete', m.live_controls_ended())}>
            {m.live_controls_end()}
          </button>
        )}
        {stream.status === 'disabled' ? (
          <button type="button" disabled={busy} onClick={() => act('enable', m.live_controls_enabled())}>
            {m.live_controls_enable()}
          </button>
        ) : (
          <button
            type="button"
            class="secondary"
            disabled={busy}
            onClick={() => act('disable', m.live_controls_disabled())}
          >
            {m.live_controls_disable()}
          </button>
        )}
        <button
          type="button"
          class="secondary"
          disabled={busy}
          onClick={() => {
            if (confirm(m.live_controls_reset_confirm()))
              void act('reset-stream-key', m.live_controls_reset_done());
          }}
        >
          {m.live_controls_reset()}
        </button>
        <button
          type="button"
          class="danger"
          disabled={busy}
          onClick={async () => {
            if (!confirm(m.live_controls_delete_confirm({ title: streamTitle(stream) }))) return;
            try {
              await api(`/v1/live-streams/${stream.id}`, { method: 'DELETE' });
              onDeleted();
            } catch (err) {
              setMessage((err as Error).message);
            }
          }}
        >
          {m.live_controls_delete()}
        </button>
      </div>
      {message && (
        <p role="status" class="controls-message">
          {message}
        </p>
      )}
    </section>
  );
}

function Edit({ stream, onSaved }: { stream: LiveStream; onSaved: (s: LiveStream) => void }) {
  const [title, setTitle] = useState(stream.title ?? '');
  const [record, setRecord] = useState(stream.record);
  const [reconnect, setReconnect] = useState(stream.reconnect_window);
  const [message, setMessage] = useState<string | null>(null);
  return (
    <details class="panel">
      <summary>{m.live_edit_title()}</summary>
      <form
        class="stack"
        onKeyDown={holdSubmitWhileComposing}
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            const r = await api<{ data: LiveStream }>(`/v1/live-streams/${stream.id}`, {
              method: 'PATCH',
              json: { title: title.trim() || null, record, reconnect_window: reconnect },
            });
            onSaved(r.data);
            setMessage(m.app_saved());
          } catch (err) {
            setMessage((err as Error).message);
          }
        }}
      >
        <label>
          {m.live_field_title()}
          <input value={title} maxLength={500} onInput={(e) => setTitle(e.currentTarget.value)} />
        </label>
        <RecordingFields
          record={record}
          onRecord={setRecord}
          reconnect={reconnect}
          onReconnect={setReconnect}
          reconnectLabel={m.live_edit_reconnect()}
        />
        <button type="submit">{m.live_edit_save()}</button>
        {message && <p role="status">{message}</p>}
      </form>
    </details>
  );
}

function Recordings({ stream }: { stream: LiveStream }) {
  return (
    <section class="panel">
      <h2>{m.live_recordings_title()}</h2>
      {stream.recordings.length === 0 ? (
        <p>{stream.record ? m.live_recordings_none_yet() : m.live_recordings_off()}</p>
      ) : (
        <ol class="recordings">
          {stream.recordings.map((assetId, i) => (
            <li key={assetId}>
              <Link href={`/assets/${assetId}`}>
                {m.live_recording_item({ number: formatNumber(i + 1) })}
              </Link>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
