import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../../api.ts';
import { formatNumber } from '../../i18n/format.ts';
import * as m from '../../i18n/generated/messages.js';
import type { LiveStream } from '../../streams/live-stream.ts';
import { useOwnerTokens } from '../../streams/owner-tokens.ts';
import { useRoom } from '../use-room.ts';
import { Bans } from './bans.tsx';
import { HostChat } from './host-chat.tsx';
import { type HostRoomData, streamPath } from './host-types.ts';
import { Products } from './products.tsx';
import { RoomSettingsPanel, SchedulePanel } from './room-settings.tsx';
import { Summary } from './summary.tsx';
import './host.css';

/**
 * The room of a stream, for its host and moderators (loaded on demand: the viewer page never
 * downloads it): the chat with moderation, the rules, the bans, the products and the pin, the
 * schedule and poster, and the last broadcast's numbers.
 */
export function HostRoom({ stream }: { stream: LiveStream }) {
  const playback = stream.playback_ids[0];
  const { tokens, failure, ready } = useOwnerTokens(playback?.id ?? '', playback?.policy === 'signed');
  const [room, setRoom] = useState<HostRoomData | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [bansVersion, setBansVersion] = useState(0);
  useEffect(() => {
    void api<{ data: HostRoomData }>(streamPath(stream.id, '/room'))
      .then((r) => setRoom(r.data))
      .catch((err: Error) => setError(err.message));
  }, [stream.id]);
  if (!playback) return null;
  if (error || failure)
    return (
      <p class="error" role="alert">
        {m.room_host_load_failed({ reason: error ?? failure ?? '' })}
      </p>
    );
  if (!room || !ready) return <p aria-busy="true">{m.room_loading()}</p>;
  return (
    <LiveRoom
      stream={stream}
      playbackId={playback.id}
      token={tokens ? () => tokens.token : undefined}
      room={room}
      setRoom={setRoom}
      bansVersion={bansVersion}
      onBanned={() => setBansVersion((n) => n + 1)}
    />
  );
}

function LiveRoom(props: {
  stream: LiveStream;
  playbackId: string;
  token: (() => string) | undefined;
  room: HostRoomData;
  setRoom(r: HostRoomData): void;
  bansVersion: number;
  onBanned(): void;
}) {
  const live = useRoom(props.playbackId, props.token);
  // Another moderator's change of the rules arrives as a `settings` event: taken into the room
  // this page edits (this page's own changes come back from the PATCH at once).
  const liveSettings = live.room?.settings;
  useEffect(() => {
    if (liveSettings) props.setRoom({ ...props.room, settings: liveSettings });
  }, [liveSettings]);
  // The pin and the count as the event stream has them.
  const room: HostRoomData = live.room
    ? { ...props.room, pinned: live.room.pinned, viewers: live.room.viewers }
    : props.room;
  const save = (r: HostRoomData) => props.setRoom(r);
  const onAir = props.stream.status === 'active' || props.stream.status === 'disconnected';
  // A broadcast seen on air while this page was open: its summary is shown once it ends.
  const sawOnAir = useRef(false);
  if (onAir) sawOnAir.current = true;
  return (
    <div class="host-room" data-connected={String(live.connected)}>
      <p class="host-viewers" data-count={room.viewers}>
        <strong>{m.room_host_watching({ count: room.viewers, n: formatNumber(room.viewers) })}</strong>
        {room.pinned ? ` · ${m.room_host_pinned({ title: room.pinned.title })}` : ''}
      </p>
      <div class="host-grid">
        <div>
          <HostChat
            streamId={props.stream.id}
            messages={live.messages}
            links={room.settings.links_allowed}
            onBanned={props.onBanned}
          />
          <Bans streamId={props.stream.id} version={props.bansVersion} />
        </div>
        <div>
          <Products streamId={props.stream.id} pinnedId={room.pinned?.id ?? null} token={props.token} />
          <RoomSettingsPanel room={room} onSaved={save} />
          <SchedulePanel room={room} onSaved={save} token={props.token} />
        </div>
      </div>
      {!onAir && (
        <Summary
          streamId={props.stream.id}
          version={props.stream.status}
          known={sawOnAir.current || props.stream.recordings.length > 0}
        />
      )}
    </div>
  );
}
