import { useEffect, useMemo, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { linkTokenSource } from '../player/link-tokens.ts';
import { LivePlayer } from '../player/live-player.tsx';

interface LiveInfo {
  title: string | null;
  status: string;
  latency_mode: 'low' | 'standard';
}

/**
 * `/live/{playback_id}[?token=…]`: the bare page a viewer opens, no session. The stream's title
 * and latency mode come from `/play/{id}/info.json` (public, like the playlists, token and all);
 * whether the broadcast is on, from its playlist (404: not on air yet, asked again every few
 * seconds).
 */
export function LiveViewerPage({ playbackId }: { playbackId: string }) {
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
  const title = info?.title || 'Live broadcast';
  const tokens = useMemo(() => (token ? linkTokenSource(playbackId, token) : undefined), [playbackId, token]);
  useEffect(() => () => tokens?.stop(), [tokens]);
  return (
    <div class="embed live-viewer">
      <h1 class="live-viewer-title">{title}</h1>
      <LivePlayer
        hls={`/play/${playbackId}/master.m3u8`}
        lowLatency={info?.latency_mode !== 'standard'}
        tokens={tokens}
        title={title}
        autoplay
      />
    </div>
  );
}
