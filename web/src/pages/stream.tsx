import { useEffect, useState } from 'preact/hooks';
import { Link, useLocation } from 'wouter-preact';
import { api } from '../api.ts';
import { CopyField } from '../copy-field.tsx';
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
        This live stream does not exist (any more). <Link href="/streams">Back to the live streams</Link>
      </p>
    );
  if (!stream)
    return error ? (
      <p class="error" role="alert">
        {error}
      </p>
    ) : (
      <p aria-busy="true">Loading…</p>
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
        {STATUS_HELP[stream.status]}
      </p>
      {stream.last_error && (
        <div class="live-error" role="alert" data-code={stream.last_error.code}>
          <strong>The last publish was refused or ended:</strong> {stream.last_error.message}
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
          <h2>Watch</h2>
          {playbackId.policy === 'public' ? (
            <CopyField label="Viewer page" value={`${location.origin}/live/${playbackId.id}`} />
          ) : (
            <p>
              Playback is signed: viewers need a token (<code>POST /v1/playback-tokens</code>), on{' '}
              <code>
                {location.origin}/live/{playbackId.id}?token=…
              </code>
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

type HostRoomModule = typeof import('../room/host/host-room.tsx');

/**
 * The room's host panels, fetched when the stream page opens: the viewer and embed pages share
 * this bundle's entry and must not pay for moderation and product editing.
 */
function LazyHostRoom({ stream }: { stream: LiveStream }) {
  const [mod, setMod] = useState<HostRoomModule | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    import('../room/host/host-room.tsx').then(setMod, () => setFailed(true));
  }, []);
  if (failed)
    return (
      <p class="error" role="alert">
        The room's controls could not be loaded. Reload the page.
      </p>
    );
  return mod ? <mod.HostRoom stream={stream} /> : <p aria-busy="true">Loading the room…</p>;
}

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
  if (!ready) return <p aria-busy="true">Preparing the player…</p>;
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
    <section class="panel ingest" aria-label="Stream from OBS">
      <h2>Stream from OBS</h2>
      <CopyField label="RTMP server URL" value={stream.ingest.rtmp} />
      {stream.stream_key !== undefined ? (
        <CopyField label="Stream key" value={stream.stream_key} masked />
      ) : (
        <p>Only the stream's creator and admins see its stream key.</p>
      )}
      {stream.ingest.rtmps && <CopyField label="RTMPS server URL" value={stream.ingest.rtmps} />}
      {stream.ingest.srt && (
        // The SRT URL holds the key and the passphrase: masked like the key.
        <CopyField label="SRT URL" value={stream.ingest.srt} masked={stream.stream_key !== undefined} />
      )}
      <details>
        <summary>OBS settings</summary>
        <CopyField label="Settings to enter in OBS" value={obsSettings(stream)} multiline />
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
    <section class="panel controls-panel" aria-label="Stream controls">
      <h2>Controls</h2>
      <div class="button-row">
        {broadcasting && (
          <button type="button" disabled={busy} onClick={() => act('complete', 'The broadcast was ended.')}>
            End the broadcast
          </button>
        )}
        {stream.status === 'disabled' ? (
          <button
            type="button"
            disabled={busy}
            onClick={() => act('enable', 'Enabled: an encoder may publish.')}
          >
            Enable
          </button>
        ) : (
          <button
            type="button"
            class="secondary"
            disabled={busy}
            onClick={() => act('disable', 'Disabled: no encoder is accepted.')}
          >
            Disable
          </button>
        )}
        <button
          type="button"
          class="secondary"
          disabled={busy}
          onClick={() => {
            if (
              confirm(
                'Make a new stream key? The current key stops working at once; every encoder needs the new one.',
              )
            )
              void act('reset-stream-key', 'A new stream key was made. Update it in OBS.');
          }}
        >
          Reset stream key
        </button>
        <button
          type="button"
          class="danger"
          disabled={busy}
          onClick={async () => {
            if (
              !confirm(`Delete the live stream "${streamTitle(stream)}"? Its recordings stay in the library.`)
            )
              return;
            try {
              await api(`/v1/live-streams/${stream.id}`, { method: 'DELETE' });
              onDeleted();
            } catch (err) {
              setMessage((err as Error).message);
            }
          }}
        >
          Delete
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
      <summary>Edit</summary>
      <form
        class="stack"
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            const r = await api<{ data: LiveStream }>(`/v1/live-streams/${stream.id}`, {
              method: 'PATCH',
              json: { title: title.trim() || null, record, reconnect_window: reconnect },
            });
            onSaved(r.data);
            setMessage('Saved.');
          } catch (err) {
            setMessage((err as Error).message);
          }
        }}
      >
        <label>
          Title
          <input value={title} maxLength={500} onInput={(e) => setTitle(e.currentTarget.value)} />
        </label>
        <RecordingFields
          record={record}
          onRecord={setRecord}
          reconnect={reconnect}
          onReconnect={setReconnect}
          reconnectLabel="Reconnect window (seconds)"
        />
        <button type="submit">Save</button>
        {message && <p role="status">{message}</p>}
      </form>
    </details>
  );
}

function Recordings({ stream }: { stream: LiveStream }) {
  return (
    <section class="panel">
      <h2>Recordings</h2>
      {stream.recordings.length === 0 ? (
        <p>
          {stream.record
            ? 'None yet: each broadcast becomes a video in the library when it ends.'
            : 'Recording is off for this stream.'}
        </p>
      ) : (
        <ol class="recordings">
          {stream.recordings.map((assetId, i) => (
            <li key={assetId}>
              <Link href={`/assets/${assetId}`}>Broadcast {i + 1}</Link>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
