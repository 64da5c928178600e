import { useEffect, useMemo } from 'preact/hooks';
import { api } from '../api.ts';
import { LivePlayer } from '../player/live-player.tsx';
import { TokenSource, tokenExpiry } from '../player/token-source.ts';

/**
 * `/live/{playback_id}[?token=…]`: the bare page a viewer opens, no session. No public
 * endpoint tells a live stream's status or latency mode, so the player learns whether the
 * broadcast is on from its playlist (404: not on air yet, asked again every few seconds) and
 * plays in low-latency mode (hls.js falls back to plain HLS on a playlist without parts).
 */
export function LiveViewerPage({ playbackId }: { playbackId: string }) {
  const query = new URLSearchParams(location.search);
  const token = query.get('token');
  // No public endpoint gives a live stream's title yet (see /play/{id}/info.json for VOD).
  const title = 'Live broadcast';
  const tokens = useMemo(
    () =>
      token
        ? new TokenSource(token, tokenExpiry(token), async (current) => {
            const r = await api<{ data: { token: string; expires_at: string } }>(
              `/play/${playbackId}/token`,
              {
                method: 'POST',
                json: { token: current },
              },
            );
            return r.data;
          })
        : undefined,
    [playbackId, token],
  );
  useEffect(() => () => tokens?.stop(), [tokens]);
  return (
    <div class="embed live-viewer">
      <h1 class="live-viewer-title">{title}</h1>
      <LivePlayer hls={`/play/${playbackId}/master.m3u8`} lowLatency tokens={tokens} title={title} autoplay />
    </div>
  );
}
