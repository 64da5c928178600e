import { useEffect, useRef, useState } from 'preact/hooks';
import { formatNumber } from '../i18n/format.ts';
import * as m from '../i18n/generated/messages.js';
import type { TokenSource } from '../player/token-source.ts';
import { playWhep, WhepError, type WhepSession } from '../player/whep-player.ts';

/**
 * The host's own monitor at sub-second delay (WebRTC, WHEP): what viewers of the LL-HLS player
 * see about a second later. Started on request, so a host who does not need it costs the live
 * node nothing; it says in words why it cannot play (the node's viewer cap, not on air).
 */
export function WhepMonitor({ playbackId, tokens }: { playbackId: string; tokens: TokenSource | undefined }) {
  const video = useRef<HTMLVideoElement>(null);
  const session = useRef<WhepSession | null>(null);
  const [state, setState] = useState<'off' | 'starting' | 'on'>('off');
  const [message, setMessage] = useState<string | null>(null);

  const stop = () => {
    void session.current?.stop();
    session.current = null;
    setState('off');
  };
  useEffect(() => () => void session.current?.stop(), []);

  const start = async () => {
    const el = video.current;
    if (!el) return;
    setState('starting');
    setMessage(null);
    try {
      session.current = await playWhep(el, playbackId, {
        token: tokens?.token ?? null,
        onEnded: (reason) => {
          session.current = null;
          setState('off');
          setMessage(m.live_monitor_stopped({ reason }));
        },
      });
      setState('on');
    } catch (err) {
      setState('off');
      setMessage(explain(err));
    }
  };

  return (
    <section class="panel whep-monitor" aria-label={m.live_monitor_title()}>
      <h2>{m.live_monitor_title()}</h2>
      <p class="hint">{m.live_monitor_hint()}</p>
      <video ref={video} muted playsInline hidden={state === 'off'} class="whep-video" />
      {state === 'on' ? (
        <button type="button" onClick={stop}>
          {m.live_monitor_stop()}
        </button>
      ) : (
        <button type="button" onClick={() => void start()} disabled={state === 'starting'}>
          {state === 'starting' ? m.live_monitor_connecting() : m.live_monitor_start()}
        </button>
      )}
      {message && (
        <p class="error" role="alert">
          {message}
        </p>
      )}
    </section>
  );
}

function explain(err: unknown): string {
  if (err instanceof WhepError) {
    if (err.code === 'FH_ERR_WHEP_FULL')
      return m.live_monitor_full({ seconds: formatNumber(err.retryAfterSeconds ?? 10) });
    if (err.code === 'FH_ERR_LIVE_NOT_ON_AIR') return m.live_monitor_not_on_air();
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}
