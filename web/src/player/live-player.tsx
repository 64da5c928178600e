import type Hls from 'hls.js';
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { formatNumber } from '../i18n/format.ts';
import * as m from '../i18n/generated/messages.js';
import { rich } from '../i18n/rich.tsx';
import type { LiveStatus } from '../streams/live-stream.ts';
import { playbackIdOf, startQoe } from './qoe-reporting.ts';
import type { TokenSource } from './token-source.ts';

export interface LivePlayerProps {
  /** Master playlist path (without a token): `/play/{playback_id}/master.m3u8`. */
  hls: string;
  /** `latency_mode: low`: hls.js in LL-HLS mode (parts, blocking reloads). */
  lowLatency: boolean;
  /** For signed playback: the token every request carries, renewed in the background. */
  tokens?: TokenSource | undefined;
  title: string;
  /**
   * The stream's status when the page knows it (the owner's page: API + live events). Without it
   * (the bare viewer page, no session) the player asks the playlist: 404 means not on air.
   */
  status?: LiveStatus | undefined;
  autoplay?: boolean;
  /** Shown before the broadcast starts (the room's poster). */
  poster?: string | null | undefined;
  /** Under "Waiting for the broadcast…" (the countdown to the scheduled start). */
  waiting?: ComponentChildren;
  /** Over the picture (floating reactions). */
  children?: ComponentChildren;
}

type Phase = 'waiting' | 'loading' | 'playing' | 'ended' | 'error';

/** How often a page without a status asks whether the broadcast has started. */
const PROBE_MS = 4000;
/** How often the LIVE badge and the latency are brought up to date. */
const TICK_MS = 500;

/**
 * The live player: hls.js (LL-HLS for low-latency streams) on a video with the browser's own
 * controls, whose seek bar covers the DVR window. A red LIVE badge while playing at the live
 * edge; grey with "Go live" once the viewer has gone back; the latency hls.js measures, in
 * seconds. Waits for a broadcast to start and says when it has ended.
 */
export function LivePlayer(props: LivePlayerProps) {
  const rootRef = useRef<HTMLElement>(null);
  const videoRef = useRef<HTMLVideoElement>(null);
  const hlsRef = useRef<Hls | null>(null);
  const [phase, setPhase] = useState<Phase>(props.status ? startPhase(props.status) : 'loading');
  const [error, setError] = useState<string | null>(null);
  const [atEdge, setAtEdge] = useState(true);
  const [latency, setLatency] = useState<number | null>(null);
  // Which load of the stream is on (null: none): bumped when a broadcast starts, so a new
  // broadcast gets a fresh hls.js; kept through `ended`, so what was sent stays seekable.
  const [source, setSource] = useState<number | null>(phase === 'loading' ? 0 : null);
  const [probes, setProbes] = useState(0);
  const phaseRef = useRef(phase);
  phaseRef.current = phase;
  const withToken = (url: string) => (props.tokens ? props.tokens.apply(url) : url);
  const start = () => {
    setPhase('loading');
    setSource((n) => (n ?? 0) + 1);
  };
  const stop = (next: 'waiting' | 'error') => {
    setPhase(next);
    setSource(null);
  };

  // The status the page knows: a broadcast starts, or ends.
  useEffect(() => {
    if (!props.status) return;
    const on = props.status === 'active' || props.status === 'disconnected';
    const current = phaseRef.current;
    if (on && (current === 'waiting' || current === 'ended')) start();
    else if (!on && current === 'playing') setPhase('ended');
    else if (!on && current === 'loading') stop('waiting');
  }, [props.status]);

  // Waiting with no status known, or live by the status but no playlist yet: ask the playlist
  // until the broadcast is there (404: not on air).
  const onAir = !props.status || props.status === 'active' || props.status === 'disconnected';
  useEffect(() => {
    if (!onAir || phase !== 'waiting') return;
    const t = setTimeout(async () => {
      const res = await fetch(withToken(props.hls), { cache: 'no-store' }).catch(() => null);
      if (res?.ok) start();
      else if (res?.status === 403) {
        setError(m.live_player_link_expired());
        stop('error');
      } else setProbes((n) => n + 1); // not yet: ask again in a moment
    }, PROBE_MS);
    return () => clearTimeout(t);
  }, [phase, probes, onAir]);

  // The stream itself, while there is one to load.
  useEffect(() => {
    const video = videoRef.current;
    if (source === null || !video) return;
    let disposed = false;
    let wasLive = false;
    // Each load of the stream (a new broadcast) is a view of its own (docs/qoe.md).
    const session = rootRef.current ? startQoe(playbackIdOf(props.hls), rootRef.current, () => video) : null;
    void import('hls.js').then(({ default: HlsJs }) => {
      if (disposed) return;
      if (!HlsJs.isSupported()) {
        session?.stop(true); // native HLS: no CMCD reports, so no view
        // Safari on iPhone: native (LL-)HLS.
        if (video.canPlayType('application/vnd.apple.mpegurl')) {
          video.src = withToken(props.hls);
          setPhase('playing');
          if (props.autoplay) void video.play().catch(() => {});
        } else {
          setError(m.player_no_hls());
          stop('error');
        }
        return;
      }
      const cmcd = session?.cmcd(() => !disposed);
      const hls = new HlsJs({
        lowLatencyMode: props.lowLatency,
        // Near the edge, a slightly faster rate closes a gap left by a stall (hls.js leaves
        // viewers who went back in the DVR window alone).
        maxLiveSyncPlaybackRate: props.lowLatency ? 1.1 : 1,
        // The DVR window can be half an hour: keep only the last minute behind the playhead.
        backBufferLength: 60,
        // When a live node dies, the api answers 502 until the encoder has reconnected to
        // another (about 10–15 s): keep retrying the playlist through that rather than give up
        // after hls.js's default two tries.
        playlistLoadPolicy: {
          default: {
            maxTimeToFirstByteMs: 10_000,
            maxLoadTimeMs: 20_000,
            timeoutRetry: { maxNumRetry: 4, retryDelayMs: 0, maxRetryDelayMs: 0 },
            errorRetry: { maxNumRetry: 10, retryDelayMs: 1000, maxRetryDelayMs: 3000 },
          },
        },
        ...(props.tokens
          ? { xhrSetup: (xhr: XMLHttpRequest, url: string) => xhr.open('GET', withToken(url), true) }
          : {}),
        ...(cmcd ? { cmcd } : {}),
      });
      hlsRef.current = hls;
      hls.on(HlsJs.Events.MANIFEST_PARSED, () => {
        setPhase('playing');
        setError(null);
        if (props.autoplay) {
          // Browsers let a page start video by itself only without sound.
          video.muted = true;
          void video.play().catch(() => {});
        }
      });
      hls.on(HlsJs.Events.LEVEL_UPDATED, (_e, data) => {
        if (data.details.live) wasLive = true;
        // EXT-X-ENDLIST on a playlist that was live: the broadcast is over (what was sent stays seekable).
        else if (wasLive) setPhase('ended');
      });
      hls.on(HlsJs.Events.FRAG_LOADED, () => setError(null));
      hls.on(HlsJs.Events.ERROR, (_e, data) => {
        if (!data.fatal) return;
        const status = (data.response as { code?: number } | undefined)?.code;
        if (status === 403) {
          setError(m.live_player_link_expired());
          stop('error');
        } else if (data.details === HlsJs.ErrorDetails.MANIFEST_LOAD_ERROR && status === 404) {
          // Not on air (yet: the encoder is still connecting): wait for it.
          stop('waiting');
        } else if (data.type === HlsJs.ErrorTypes.NETWORK_ERROR) {
          setError(m.live_player_retrying());
          setTimeout(() => !disposed && hls.startLoad(), 3000);
        } else if (data.type === HlsJs.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
        else {
          setError(m.live_player_cannot_play());
          stop('error');
        }
      });
      hls.loadSource(withToken(props.hls));
      hls.attachMedia(video);
    });
    return () => {
      disposed = true;
      session?.stop();
      hlsRef.current?.destroy();
      hlsRef.current = null;
    };
  }, [source, props.hls, props.lowLatency]);

  // The LIVE badge and the latency, from hls.js's own live-edge arithmetic.
  useEffect(() => {
    if (phase !== 'playing') return;
    const t = setInterval(() => {
      const hls = hlsRef.current;
      const video = videoRef.current;
      if (!hls || !video) return;
      const edge = hls.liveSyncPosition;
      const details = hls.latestLevelDetails;
      // Behind by more than a segment (at least 3 s) past where hls.js aims to play: not live.
      const tolerance = Math.max(3, details?.targetduration ?? 2);
      setAtEdge(edge === null || (!video.paused && video.currentTime >= edge - tolerance));
      setLatency(hls.latency > 0 ? hls.latency : null);
    }, TICK_MS);
    return () => clearInterval(t);
  }, [phase]);

  const goLive = () => {
    const hls = hlsRef.current;
    const video = videoRef.current;
    if (!video) return;
    const edge = hls?.liveSyncPosition;
    if (edge != null) video.currentTime = edge;
    void video.play().catch(() => {});
    setAtEdge(true);
  };

  // Seeking before the DVR window's first segment (gone from the playlist): go to its start.
  const clampToWindow = () => {
    const video = videoRef.current;
    const details = hlsRef.current?.latestLevelDetails;
    if (video && details?.live && video.currentTime < details.fragmentStart)
      video.currentTime = details.fragmentStart + 0.1;
  };

  const message =
    phase === 'waiting'
      ? m.live_player_waiting()
      : phase === 'ended'
        ? m.live_player_ended()
        : phase === 'error'
          ? error
          : null;
  const live = phase === 'playing' && atEdge;
  return (
    <section
      ref={rootRef}
      class="player live-player"
      aria-label={m.live_player_label({ title: props.title })}
      data-phase={phase}
      data-at-edge={String(live)}
      data-latency={latency === null ? '' : latency.toFixed(1)}
    >
      <div class="stage">
        <video
          ref={videoRef}
          controls={phase === 'playing' || phase === 'ended'}
          playsInline
          poster={phase === 'waiting' && props.poster ? props.poster : undefined}
          crossOrigin="anonymous"
          muted={props.autoplay}
          onSeeking={clampToWindow}
          onEnded={() => setPhase('ended')}
        />
        {message && (
          <div class={`live-message live-message-${phase}${props.poster ? ' over-poster' : ''}`}>
            <p role="status">{message}</p>
            {phase === 'waiting' && props.waiting}
          </div>
        )}
        {props.children}
        {phase === 'playing' && error && (
          <p class="player-error" role="alert">
            {error}
          </p>
        )}
        {(phase === 'playing' || phase === 'loading') && (
          <div class="live-overlay">
            <span class={`live-edge${live ? ' on' : ''}`} data-live={String(live)}>
              {m.live_player_live()}
            </span>
            {phase === 'playing' && !atEdge && (
              <button type="button" class="go-live" onClick={goLive} title={m.live_player_back_to_live()}>
                {m.live_player_go_live()}
              </button>
            )}
            {latency !== null && (
              <span class="live-latency" title={m.live_player_latency_title()}>
                {rich(m.live_player_latency, {
                  value: (
                    <span data-testid="latency">
                      {formatNumber(latency, { minimumFractionDigits: 1, maximumFractionDigits: 1 })}
                    </span>
                  ),
                })}
              </span>
            )}
          </div>
        )}
      </div>
    </section>
  );
}

const startPhase = (status: LiveStatus): Phase =>
  status === 'active' || status === 'disconnected' ? 'loading' : 'waiting';
