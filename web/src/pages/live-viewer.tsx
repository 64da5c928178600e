import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { formatNumber } from '../i18n/format.ts';
import * as m from '../i18n/generated/messages.js';
import { useLocale } from '../i18n/locale.ts';
import { linkTokenSource } from '../player/link-tokens.ts';
import { LivePlayer } from '../player/live-player.tsx';
import { StatisticsToggle } from '../player/statistics-toggle.tsx';
import { ChatPanel } from '../room/chat-panel.tsx';
import { Countdown } from '../room/countdown.tsx';
import { ProductCard } from '../room/product-card.tsx';
import { FloatingReactions, ReactionButtons, type ReactionsHandle } from '../room/reactions.tsx';
import { roomPicture } from '../room/room-picture.ts';
import { useRoom } from '../room/use-room.ts';
import { savedViewer } from '../room/viewer-session.ts';

interface LiveInfo {
  title: string | null;
  status: string;
  latency_mode: 'low' | 'standard';
}

/**
 * `/live/{playback_id}[?token=…]` (and `/embed/{playback_id}` of a live stream): the page a
 * viewer opens, no session needed. The player, how many watch, reactions, the pinned product and
 * the chat, all fed by the room's event stream; before the broadcast, the poster and a countdown
 * to the scheduled start, with the chat already open. Video on top and chat below on a phone;
 * side by side on a wide screen.
 */
export function LiveViewerPage({ playbackId, embedded = false }: { playbackId: string; embedded?: boolean }) {
  const query = new URLSearchParams(location.search);
  const token = query.get('token');
  const [info, setInfo] = useState<LiveInfo | null>(null);
  useEffect(() => {
    const q = token ? `?token=${encodeURIComponent(token)}` : '';
    api<{ data: LiveInfo }>(`/play/${playbackId}/info.json${q}`).then(
      (r) => setInfo(r.data),
      () => setInfo(null),
    );
  }, [playbackId, token]);
  const tokens = useMemo(() => (token ? linkTokenSource(playbackId, token) : undefined), [playbackId, token]);
  useEffect(() => () => tokens?.stop(), [tokens]);
  const playbackToken = useMemo(() => (tokens ? () => tokens.token : undefined), [tokens]);

  const floats = useRef<ReactionsHandle>(null);
  const state = useRoom(playbackId, playbackToken, { reactions: (c) => floats.current?.show(c) });
  const room = state.room;
  const { locale } = useLocale();
  const title = room?.title || info?.title || m.live_viewer_default_title();
  useEffect(() => {
    if (!embedded) document.title = m.live_viewer_document_title({ title });
  }, [title, embedded, locale]);
  const onAir = room?.status === 'active' || room?.status === 'disconnected';
  const scheduled =
    room?.scheduled_at && !onAir && Date.parse(room.scheduled_at) > Date.now() - 3600_000
      ? room.scheduled_at
      : null;
  return (
    <div class={`live-page${embedded ? ' embedded' : ''}`} data-connected={String(state.connected)}>
      <header class="live-head">
        <h1 class="live-viewer-title">{title}</h1>
        {room && (
          <span class="live-viewers" data-count={room.viewers}>
            <span class="live-dot" aria-hidden="true" />
            {m.live_viewer_watching({
              count: watching(room.viewers),
              n: formatNumber(watching(room.viewers)),
            })}
          </span>
        )}
        <StatisticsToggle />
      </header>
      <div class="live-layout">
        <div class="live-main">
          <LivePlayer
            hls={`/play/${playbackId}/master.m3u8`}
            lowLatency={info?.latency_mode !== 'standard'}
            tokens={tokens}
            title={title}
            status={room?.status}
            poster={room?.poster_url ? roomPicture(room.poster_url, tokens?.token) : null}
            waiting={scheduled && <Countdown to={scheduled} />}
            autoplay
          >
            <FloatingReactions handle={floats} />
          </LivePlayer>
          {!state.missing && (
            <ReactionButtons
              playbackId={playbackId}
              playbackToken={playbackToken}
              viewerToken={() => savedViewer(playbackId)?.viewer_token ?? null}
            />
          )}
          {room?.pinned && (
            <ProductCard
              product={room.pinned}
              playbackId={playbackId}
              playbackToken={playbackToken}
              pinnedAt={state.pinnedAt}
            />
          )}
        </div>
        {!state.missing && (
          <ChatPanel
            playbackId={playbackId}
            playbackToken={playbackToken}
            room={room}
            messages={state.messages}
            banned={state.banned}
          />
        )}
      </div>
    </div>
  );
}

/** At least this viewer, before the first count arrives (counts are written every 5 s). */
const watching = (viewers: number) => Math.max(1, viewers);
