import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, api } from '../api.ts';
import * as m from '../i18n/generated/messages.js';
import { linkTokenSource } from '../player/link-tokens.ts';
import { Player } from '../player/player.tsx';
import { tokenExpiry } from '../player/token-source.ts';
import { LiveViewerPage } from './live-viewer.tsx';

interface PlaybackInfo {
  /** A live stream's playback id: the embed is the live viewer page. */
  live?: boolean;
  title: string | null;
  status: string;
  is_360: boolean;
  hls: string;
  thumbnail: string;
  storyboard: string;
}

/**
 * `/embed/{playback_id}[?token=…]`: the bare player other sites put in an iframe. A signed
 * link's token is renewed in the background for as long as the link allows.
 */
export function EmbedPage({ playbackId }: { playbackId: string }) {
  const query = new URLSearchParams(location.search);
  const token = query.get('token');
  const autoplay = query.get('autoplay') === '1';
  const [info, setInfo] = useState<PlaybackInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const tokens = useMemo(() => (token ? linkTokenSource(playbackId, token) : undefined), [playbackId, token]);
  useEffect(() => () => tokens?.stop(), [tokens]);
  useEffect(() => {
    (async () => {
      if (tokens && token) await tokens.fresh(tokenExpiry(token));
      const q = tokens ? `?token=${encodeURIComponent(tokens.token)}` : '';
      return api<{ data: PlaybackInfo }>(`/play/${playbackId}/info.json${q}`);
    })()
      .then((r) => setInfo(r.data))
      .catch((err: unknown) =>
        setError(
          err instanceof ApiError && err.status === 403
            ? m.player_embed_expired()
            : err instanceof ApiError && err.status === 404
              ? m.player_embed_gone()
              : (err as Error).message,
        ),
      );
  }, [playbackId]);

  if (error)
    return (
      <div class="embed embed-message" role="alert">
        {error}
      </div>
    );
  if (!info) return <div class="embed" aria-busy="true" />;
  if (info.live) return <LiveViewerPage playbackId={playbackId} embedded />;
  if (info.status !== 'ready') return <div class="embed embed-message">{m.player_embed_processing()}</div>;
  return (
    <div class="embed">
      <Player
        hls={info.hls}
        poster={info.thumbnail}
        storyboard={info.storyboard}
        is360={info.is_360}
        tokens={tokens}
        title={info.title ?? m.player_video()}
        autoplay={autoplay}
      />
    </div>
  );
}
