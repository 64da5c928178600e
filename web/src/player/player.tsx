import type Hls from 'hls.js';
import { useEffect, useRef, useState } from 'preact/hooks';
import { formatDuration } from '../i18n/format.ts';
import * as m from '../i18n/generated/messages.js';
import { handoff } from './handoff.ts';
import { LADDER_DATA_ID, watchLadder } from './ladder-watch.ts';
import { playbackIdOf, type QoeSession, startQoe } from './qoe-reporting.ts';
import { StatisticsToggle } from './statistics-toggle.tsx';
import { parseStoryboard, type Tile, tileAt } from './storyboard.ts';
import type { TokenSource } from './token-source.ts';
import type { VrView } from './vr-view.ts';

export interface PlayerProps {
  /** Master playlist path (without a token). */
  hls: string;
  poster?: string | undefined;
  storyboard?: string | undefined;
  is360: boolean;
  /** For signed playback: the token every request carries, renewed in the background. */
  tokens?: TokenSource | undefined;
  title: string;
  autoplay?: boolean;
}

interface Level {
  index: number;
  height: number;
  bitrate: number;
}

/** The shortcut keys by their place (KeyboardEvent.code), whatever letter the layout puts there. */
const SHORTCUT_CODES: Record<string, string> = {
  KeyK: 'k',
  KeyJ: 'j',
  KeyL: 'l',
  KeyF: 'f',
  KeyM: 'm',
  KeyC: 'c',
  KeyR: 'r',
  Space: ' ',
  Equal: '=',
  NumpadAdd: '+',
  Minus: '-',
  NumpadSubtract: '-',
};

/**
 * The Framehouse player: hls.js with automatic bitrate switching or a chosen quality, a seek
 * bar that previews the storyboard, keyboard shortcuts, captions when the stream has them,
 * and for 360° videos a WebGL view to look around in. Started while the ladder is still being
 * encoded, it moves onto the higher rungs as they land, where it is, without a visible stall.
 */
export function Player(props: PlayerProps) {
  const root = useRef<HTMLElement>(null);
  // Two video elements: the one shown, and one that prepares a richer ladder out of sight when
  // more rungs land while someone watches (see ladder-watch.ts and handoff.ts).
  const videoA = useRef<HTMLVideoElement>(null);
  const videoB = useRef<HTMLVideoElement>(null);
  const [active, setActive] = useState(0);
  const [preparing, setPreparing] = useState(false);
  const activeRef = useRef(0);
  const stage = useRef<HTMLDivElement>(null);
  const hlsRef = useRef<Hls | null>(null);
  const vrRef = useRef<VrView | null>(null);
  const [levels, setLevels] = useState<Level[]>([]);
  const [chosen, setChosen] = useState(-1); // -1: automatic
  const chosenHeight = useRef<number | null>(null);
  const [playing, setPlaying] = useState(false);
  const [time, setTime] = useState(0);
  const [duration, setDuration] = useState(0);
  const [muted, setMuted] = useState(false);
  const [captions, setCaptions] = useState<number>(-1);
  const captionsRef = useRef(-1);
  const [captionTracks, setCaptionTracks] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [tiles, setTiles] = useState<Tile[]>([]);
  const [hover, setHover] = useState<{ x: number; t: number } | null>(null);
  const [vrReady, setVrReady] = useState(false);
  const withToken = (url: string) => (props.tokens ? props.tokens.apply(url) : url);
  const streamReady = useRef(false);
  const playRequested = useRef(false);
  const qoe = useRef<QoeSession | null>(null);
  const elementAt = (i: number) => (i === 0 ? videoA : videoB).current;
  const video = () => elementAt(activeRef.current);

  // The stream.
  useEffect(() => {
    const first = elementAt(activeRef.current);
    if (!first) return;
    // When the first frame was shown, since navigation began: bench/web.ts reads it.
    first.requestVideoFrameCallback?.(() => {
      if (root.current) root.current.dataset.firstFrameMs = String(Math.round(performance.now()));
    });
    let disposed = false;
    let standby: Hls | null = null;
    const watching = new AbortController();
    setDuration(0);
    // The view's reports (docs/qoe.md): one session across the elements and hls.js instances.
    const session = root.current ? startQoe(playbackIdOf(props.hls), root.current, video) : null;
    qoe.current = session;
    void import('hls.js').then(({ default: HlsJs }) => {
      if (disposed) return;
      const src = withToken(props.hls);
      if (!HlsJs.isSupported()) {
        // Safari on iPhone: native HLS (a renewal reaches it only at the next load), without
        // CMCD reports: a view of beacons alone would say nothing true, so none at all.
        session?.stop(true);
        if (first.canPlayType('application/vnd.apple.mpegurl')) {
          first.src = src;
          streamReady.current = true;
          if (props.autoplay || playRequested.current) void first.play().catch(() => {});
        } else setError(m.player_no_hls());
        return;
      }
      const showLevel = (hls: Hls, level: number) => {
        if (!root.current) return;
        root.current.dataset.level = String(level);
        root.current.dataset.height = String(hls.levels[level]?.height ?? '');
      };
      const listLevels = (hls: Hls) =>
        setLevels(
          hls.levels
            .map((l, index) => ({ index, height: l.height, bitrate: l.bitrate }))
            .sort((a, b) => b.height - a.height),
        );
      const create = (media: HTMLVideoElement, from?: { position: number; estimate: number }) => {
        // Reports while this hls.js is the one shown (a stream preparing out of sight is not).
        const cmcd = session?.cmcd(() => hls === hlsRef.current);
        const hls: Hls = new HlsJs({
          capLevelToPlayerSize: true,
          ...(cmcd ? { cmcd } : {}),
          // A stream taking over from another: where it plays on, and the bandwidth already measured.
          ...(from ? { startPosition: from.position, abrEwmaDefaultEstimate: from.estimate } : {}),
          // Every request takes the current token: a renewal applies from the next request on.
          ...(props.tokens
            ? { xhrSetup: (xhr: XMLHttpRequest, url: string) => xhr.open('GET', withToken(url), true) }
            : {}),
        });
        const isActive = () => hls === hlsRef.current;
        hls.on(HlsJs.Events.MANIFEST_LOADED, (_e, data) => {
          // More rungs to come (the server says so in the master playlist): watch for them.
          if (isActive() && !watched && data.sessionData?.[LADDER_DATA_ID]?.VALUE === 'pending') watch();
        });
        hls.on(HlsJs.Events.MANIFEST_PARSED, (_e, data) => {
          if (!isActive()) {
            // Taking over: keep the quality the viewer chose, where the new ladder has it.
            const keep = data.levels.findIndex((l) => l.height === chosenHeight.current);
            if (keep >= 0) hls.currentLevel = keep;
            return;
          }
          listLevels(hls);
          streamReady.current = true;
          if (props.autoplay) {
            // Browsers let a page start video by itself only without sound.
            media.muted = true;
            void media.play().catch(() => {});
          } else if (playRequested.current) void media.play().catch(() => {});
        });
        hls.on(HlsJs.Events.LEVEL_SWITCHED, (_e, data) => {
          if (isActive()) showLevel(hls, data.level);
        });
        hls.on(HlsJs.Events.SUBTITLE_TRACKS_UPDATED, (_e, data) => {
          if (isActive())
            setCaptionTracks(data.subtitleTracks.map((t) => t.name || t.lang || m.player_captions()));
        });
        // hls.js turns on a track marked DEFAULT by itself: the menu shows what is really on.
        hls.on(HlsJs.Events.SUBTITLE_TRACK_SWITCH, (_e, data) => {
          if (!isActive()) return;
          setCaptions(data.id);
          captionsRef.current = data.id;
        });
        hls.on(HlsJs.Events.ERROR, (_e, data) => {
          if (!data.fatal || !isActive()) return;
          const status = (data.response as { code?: number } | undefined)?.code;
          if (status === 403) setError(m.player_link_expired());
          else if (data.type === HlsJs.ErrorTypes.NETWORK_ERROR) {
            setError(m.player_retrying());
            setTimeout(() => hls.startLoad(), 3000);
          } else if (data.type === HlsJs.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
          else setError(m.player_cannot_play());
        });
        hls.on(HlsJs.Events.FRAG_LOADED, () => {
          if (isActive()) setError(null);
        });
        return hls;
      };

      // A richer master playlist: a fresh hls.js on the other element, swapped in on a frame.
      const upgrade = async (masterUrl: string) => {
        const from = video();
        const old = hlsRef.current;
        if (!from || !old) return;
        // The second element exists only while it prepares: one <video> on the page otherwise.
        setPreparing(true);
        let next: Hls | null = null;
        let swapped = false;
        try {
          const to = await rendered(() => elementAt(1 - activeRef.current));
          await handoff({
            from,
            to,
            load: (position) => {
              next = standby = create(to, { position, estimate: old.bandwidthEstimate });
              next.loadSource(masterUrl);
              next.attachMedia(to);
            },
            seek: (position) => {
              to.currentTime = position;
            },
            swap: () => {
              if (!next) return;
              swapped = true;
              activeRef.current = 1 - activeRef.current;
              hlsRef.current = next;
              standby = null;
              setActive(activeRef.current);
              listLevels(next);
              setChosen(next.manualLevel);
              showLevel(next, next.currentLevel);
              vrRef.current?.setVideo(to);
              if (captionsRef.current >= 0) next.subtitleTrack = captionsRef.current;
            },
            signal: watching.signal,
          });
        } catch (e) {
          if (standby === next) standby = null;
          (next as Hls | null)?.destroy();
          throw e;
        } finally {
          if (swapped) old.destroy();
          setPreparing(false);
        }
      };
      let watched = false;
      const watch = () => {
        watched = true;
        void watchLadder({
          masterUrl: () => new URL(withToken(props.hls), location.href).href,
          heightsNow: () => hlsRef.current?.levels.map((l) => l.height) ?? [],
          position: () => (video()?.currentTime ?? 0) + 4,
          duration: () => {
            const details = hlsRef.current?.levels.find((l) => l.details)?.details;
            return details && !details.live ? details.totalduration : null;
          },
          upgrade,
          signal: watching.signal,
        });
      };

      const hls = create(first);
      hlsRef.current = hls;
      hls.loadSource(src);
      hls.attachMedia(first);
    });
    return () => {
      disposed = true;
      session?.stop();
      qoe.current = null;
      watching.abort();
      standby?.destroy();
      hlsRef.current?.destroy();
      hlsRef.current = null;
    };
  }, [props.hls]);

  // The storyboard for seek previews, fetched the first time someone hovers the seek bar (it is
  // made last, after the video is already playable; a miss is retried at the next hover).
  const storyboardState = useRef<'none' | 'loading' | 'loaded'>('none');
  const loadStoryboard = () => {
    if (!props.storyboard || storyboardState.current !== 'none') return;
    storyboardState.current = 'loading';
    const url = withToken(props.storyboard);
    fetch(url)
      .then((r) => (r.ok ? r.text() : Promise.reject(new Error(String(r.status)))))
      .then((vtt) => {
        setTiles(parseStoryboard(vtt, url));
        storyboardState.current = 'loaded';
      })
      .catch(() => {
        storyboardState.current = 'none';
      });
  };

  // The 360° view: three.js is fetched only for 360° videos.
  useEffect(() => {
    if (!props.is360 || !video() || !stage.current) return;
    let view: VrView | null = null;
    let disposed = false;
    void import('./vr-view.ts').then(({ VrView }) => {
      const current = video();
      if (disposed || !current || !stage.current) return;
      view = new VrView(current, stage.current);
      vrRef.current = view;
      setVrReady(true);
    });
    return () => {
      disposed = true;
      view?.dispose();
      vrRef.current = null;
    };
  }, [props.is360]);

  const toggle = () => {
    const v = video();
    if (!v) return;
    // Pressed before the stream is attached: play as soon as it is (play() would fail now).
    // The viewer's press is the play request (the `play` event comes a task later, or, before
    // the stream is attached, once it is).
    if (v.paused) qoe.current?.playRequested();
    if (!streamReady.current && !v.src) {
      playRequested.current = !playRequested.current;
      return;
    }
    if (v.paused) void v.play().catch(() => {});
    else v.pause();
  };
  const seekBy = (s: number) => {
    const v = video();
    if (v) v.currentTime = Math.max(0, Math.min(v.duration || 0, v.currentTime + s));
  };
  const fullscreen = () => {
    if (document.fullscreenElement) void document.exitFullscreen();
    else void root.current?.requestFullscreen().catch(() => {});
  };
  const chooseLevel = (index: number) => {
    setChosen(index);
    chosenHeight.current = index >= 0 ? (hlsRef.current?.levels[index]?.height ?? null) : null;
    if (hlsRef.current) hlsRef.current.currentLevel = index; // -1 hands it back to ABR
  };
  const chooseCaptions = (index: number) => {
    setCaptions(index);
    captionsRef.current = index;
    if (hlsRef.current) {
      hlsRef.current.subtitleTrack = index;
      hlsRef.current.subtitleDisplay = index >= 0;
    }
  };
  const onKey = (e: KeyboardEvent) => {
    if ((e.target as HTMLElement).tagName === 'SELECT' || (e.target as HTMLElement).tagName === 'INPUT')
      return;
    // The key's own value where it names a shortcut (any Latin layout), else the key's place:
    // with a Korean layout active K reports ㅏ, and its code is still KeyK.
    const byCode = SHORTCUT_CODES[e.code] ?? e.code;
    if (vrRef.current?.handleKey(e.key) || vrRef.current?.handleKey(byCode)) {
      e.preventDefault();
      return;
    }
    const actions: Record<string, () => void> = {
      ' ': toggle,
      k: toggle,
      j: () => seekBy(-10),
      l: () => seekBy(10),
      ArrowLeft: () => seekBy(-5),
      ArrowRight: () => seekBy(5),
      f: fullscreen,
      m: () => {
        const v = video();
        if (v) v.muted = !v.muted;
      },
      c: () => captionTracks.length && chooseCaptions(captions >= 0 ? -1 : 0),
      r: () => vrRef.current?.reset(),
    };
    const action = actions[e.key] ?? actions[byCode];
    if (action) {
      e.preventDefault();
      action();
    }
  };

  const tile = hover && tiles.length ? tileAt(tiles, hover.t) : undefined;
  const total = duration || 0;
  return (
    <section
      class={`player${props.is360 ? ' is360' : ''}`}
      ref={root}
      // biome-ignore lint/a11y/noNoninteractiveTabindex: focused, the player takes keyboard shortcuts (k, j, l, f, m, arrows)
      tabIndex={0}
      onKeyDown={onKey}
      aria-label={m.player_label({ title: props.title })}
      data-playing={String(playing)}
    >
      <div class="stage" ref={stage}>
        {[videoA, videoB].map(
          (ref, i) =>
            (i === active || preparing) && (
              // biome-ignore lint/a11y/useMediaCaption: captions come from the HLS stream when it has them
              <video
                key={i === 0 ? 'a' : 'b'}
                ref={ref}
                data-slot={i === 0 ? 'a' : 'b'}
                class={i === active ? undefined : 'standby'}
                data-active={String(i === active)}
                aria-hidden={i === active ? undefined : 'true'}
                playsInline
                crossOrigin="anonymous"
                poster={i === active && props.poster ? withToken(props.poster) : undefined}
                onClick={toggle}
                onPlay={(e) => e.currentTarget === video() && setPlaying(true)}
                onPause={(e) => e.currentTarget === video() && setPlaying(false)}
                onTimeUpdate={(e) => e.currentTarget === video() && setTime(e.currentTarget.currentTime)}
                onDurationChange={(e) => {
                  // A ladder taking over while rungs are encoded lists less media at first: keep the longest.
                  const d = e.currentTarget.duration;
                  if (e.currentTarget === video() && Number.isFinite(d))
                    setDuration((known) => Math.max(known, d));
                }}
                onVolumeChange={(e) => e.currentTarget === video() && setMuted(e.currentTarget.muted)}
                style={
                  props.is360 && vrReady
                    ? { position: 'absolute', opacity: 0, pointerEvents: 'none' }
                    : undefined
                }
              />
            ),
        )}
        {error && (
          <p class="player-error" role="alert">
            {error}
          </p>
        )}
      </div>
      <div class="controls">
        <button type="button" onClick={toggle} aria-label={playing ? m.player_pause() : m.player_play()}>
          {playing ? '❚❚' : '▶'}
        </button>
        <div class="seek">
          <input
            type="range"
            min={0}
            max={total || 0}
            step={0.1}
            value={time}
            aria-label={m.player_seek()}
            aria-valuetext={m.player_seek_value({ time: formatDuration(time), total: formatDuration(total) })}
            onInput={(e) => {
              const v = video();
              if (v) v.currentTime = Number(e.currentTarget.value);
            }}
            onPointerEnter={loadStoryboard}
            onPointerMove={(e) => {
              const rect = e.currentTarget.getBoundingClientRect();
              const x = Math.max(0, Math.min(rect.width, e.clientX - rect.left));
              setHover({ x, t: (x / rect.width) * total });
            }}
            onPointerLeave={() => setHover(null)}
          />
          {hover && (
            <div class="seek-preview" style={{ left: `${hover.x}px` }} aria-hidden="true">
              {tile && (
                <div
                  class="seek-thumb"
                  style={{
                    width: `${tile.w}px`,
                    height: `${tile.h}px`,
                    backgroundImage: `url("${tile.image}")`,
                    backgroundPosition: `-${tile.x}px -${tile.y}px`,
                  }}
                />
              )}
              <span>{formatDuration(hover.t)}</span>
            </div>
          )}
        </div>
        <span class="time">
          {formatDuration(time)} / {formatDuration(total)}
        </span>
        <button
          type="button"
          onClick={() => {
            const v = video();
            if (v) v.muted = !v.muted;
          }}
          aria-label={muted ? m.player_unmute() : m.player_mute()}
        >
          <Icon name={muted ? 'muted' : 'sound'} />
        </button>
        {captionTracks.length > 0 && (
          <label>
            <span class="visually-hidden">{m.player_captions()}</span>
            <select value={captions} onChange={(e) => chooseCaptions(Number(e.currentTarget.value))}>
              <option value={-1}>{m.player_captions_off()}</option>
              {captionTracks.map((name, i) => (
                <option key={`${i}:${name}`} value={i}>
                  {name}
                </option>
              ))}
            </select>
          </label>
        )}
        {levels.length > 1 && (
          <label>
            <span class="visually-hidden">{m.player_quality()}</span>
            <select
              value={chosen}
              onChange={(e) => chooseLevel(Number(e.currentTarget.value))}
              class="quality"
            >
              <option value={-1}>{m.player_quality_auto()}</option>
              {levels.map((l) => (
                <option key={l.index} value={l.index}>
                  {m.player_height({ height: l.height })}
                </option>
              ))}
            </select>
          </label>
        )}
        {props.is360 && vrReady && (
          <>
            <button type="button" onClick={() => vrRef.current?.reset()} aria-label={m.player_reset_view()}>
              ⟲
            </button>
            <button
              type="button"
              onClick={() => vrRef.current?.set({ fov: vrRef.current.view.fov - 10 })}
              aria-label={m.player_zoom_in()}
            >
              +
            </button>
            <button
              type="button"
              onClick={() => vrRef.current?.set({ fov: vrRef.current.view.fov + 10 })}
              aria-label={m.player_zoom_out()}
            >
              −
            </button>
            {'DeviceOrientationEvent' in window && matchMedia('(pointer: coarse)').matches && (
              <button type="button" onClick={() => void vrRef.current?.followDevice()}>
                {m.player_move_phone()}
              </button>
            )}
          </>
        )}
        <StatisticsToggle />
        <button type="button" onClick={fullscreen} aria-label={m.player_fullscreen()}>
          <Icon name="fullscreen" />
        </button>
      </div>
    </section>
  );
}

/** Drawn, not typed: emoji and symbol fonts are missing on many systems (and in headless Chromium). */
function Icon({ name }: { name: 'sound' | 'muted' | 'fullscreen' }) {
  const paths = {
    sound: 'M3 9v6h4l5 4V5L7 9H3zm13.5 3a4.5 4.5 0 0 0-2.5-4v8a4.5 4.5 0 0 0 2.5-4z',
    muted:
      'M3 9v6h4l5 4V5L7 9H3zm13.6 3 2.7-2.7-1.4-1.4-2.7 2.7-2.7-2.7-1.4 1.4 2.7 2.7-2.7 2.7 1.4 1.4 2.7-2.7 2.7 2.7 1.4-1.4z',
    fullscreen: 'M4 4h6v2H6v4H4V4zm10 0h6v6h-2V6h-4V4zM4 14h2v4h4v2H4v-6zm14 0h2v6h-6v-2h4v-4z',
  };
  return (
    <svg viewBox="0 0 24 24" width="20" height="20" fill="currentColor" aria-hidden="true">
      <path d={paths[name]} />
    </svg>
  );
}

/** The element a state change is rendering, once it is in the page (within a second). */
async function rendered<T>(find: () => T | null): Promise<T> {
  for (let i = 0; i < 60; i++) {
    const el = find();
    if (el) return el;
    await new Promise((r) => requestAnimationFrame(r));
  }
  // i18n-ignore: never shown: the ladder watch catches it and keeps the current ladder
  throw new Error('the second video element did not appear');
}
