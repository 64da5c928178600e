import type { Ref } from 'preact';
import { useEffect, useImperativeHandle, useRef, useState } from 'preact/hooks';
import { formatNumber } from '../i18n/format.ts';
import * as m from '../i18n/generated/messages.js';
import { ReactionIcon } from './reaction-icon.tsx';
import { roomRequest } from './room-api.ts';
import { REACTION_LABEL, REACTIONS, type ReactionKind } from './types.ts';

/** Taps are gathered and sent at most this often, one request per kind with its count. */
const FLUSH_MS = 500;
/** The API takes at most this many taps per request. */
const MAX_COUNT = 50;
/** Floating icons on screen at once, at most: a flood of reactions must not flood the page. */
const MAX_FLOATING = 24;
/** Icons per kind drawn for one incoming burst, however large it is. */
const PER_BURST = 6;
const FLOAT_MS = 2200;

export interface ReactionsHandle {
  show(counts: Partial<Record<ReactionKind, number>>): void;
}

interface Floating {
  id: number;
  kind: ReactionKind;
  left: number;
  delay: number;
}

const reducedMotion = () =>
  typeof matchMedia === 'function' && matchMedia('(prefers-reduced-motion: reduce)').matches;

/** Everyone's reactions as icons that float up over the video (capped); for viewers who asked for less motion, a still tally that fades after a moment. */
export function FloatingReactions({ handle }: { handle: Ref<ReactionsHandle> }) {
  const [floating, setFloating] = useState<Floating[]>([]);
  const [tally, setTally] = useState<Partial<Record<ReactionKind, number>> | null>(null);
  const seq = useRef(0);
  useImperativeHandle(handle, () => ({
    show(counts) {
      if (reducedMotion()) {
        setTally(counts);
        return;
      }
      const added: Floating[] = [];
      for (const kind of REACTIONS) {
        const n = Math.min(PER_BURST, counts[kind] ?? 0);
        for (let i = 0; i < n; i++)
          added.push({ id: ++seq.current, kind, left: 60 + Math.random() * 35, delay: Math.random() * 400 });
      }
      if (!added.length) return;
      setFloating((f) => [...f, ...added].slice(-MAX_FLOATING));
      const ids = new Set(added.map((a) => a.id));
      setTimeout(() => setFloating((f) => f.filter((x) => !ids.has(x.id))), FLOAT_MS + 400);
    },
  }));
  useEffect(() => {
    if (!tally) return;
    const t = setTimeout(() => setTally(null), 3000);
    return () => clearTimeout(t);
  }, [tally]);
  return (
    <div class="reaction-float-layer" aria-hidden="true">
      {floating.map((f) => (
        <span
          key={f.id}
          class="reaction-float"
          style={{ left: `${f.left}%`, animationDelay: `${f.delay}ms` }}
          data-kind={f.kind}
        >
          <ReactionIcon kind={f.kind} />
        </span>
      ))}
      {tally && (
        <span class="reaction-tally">
          {REACTIONS.filter((k) => tally[k]).map((k) => (
            <span key={k}>
              <ReactionIcon kind={k} /> {formatNumber(tally[k] ?? 0)}{' '}
            </span>
          ))}
        </span>
      )}
    </div>
  );
}

/** The reaction buttons: taps gathered and sent every 500 ms at most, one request per kind with its count. */
export function ReactionButtons(props: {
  playbackId: string;
  playbackToken: (() => string | null) | undefined;
  viewerToken: () => string | null;
}) {
  const pending = useRef<Partial<Record<ReactionKind, number>>>({});
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const flush = () => {
    timer.current = null;
    const batch = pending.current;
    pending.current = {};
    for (const kind of REACTIONS) {
      const count = batch[kind];
      if (!count) continue;
      void roomRequest(`/v1/rooms/${encodeURIComponent(props.playbackId)}/reactions`, {
        method: 'POST',
        json: { kind, count: Math.min(MAX_COUNT, count) },
        playbackToken: props.playbackToken,
        viewerToken: props.viewerToken(),
      }).catch(() => {
        // A lost reaction is not worth an error on screen.
      });
    }
  };
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
  const tap = (kind: ReactionKind) => {
    pending.current[kind] = (pending.current[kind] ?? 0) + 1;
    if (!timer.current) timer.current = setTimeout(flush, FLUSH_MS);
  };
  return (
    <fieldset class="reactions">
      <legend class="visually-hidden">{m.room_reactions()}</legend>
      {REACTIONS.map((kind) => (
        <button
          key={kind}
          type="button"
          class="reaction"
          aria-label={m.room_react({ name: REACTION_LABEL[kind]() })}
          title={REACTION_LABEL[kind]()}
          data-kind={kind}
          onClick={() => tap(kind)}
        >
          <ReactionIcon kind={kind} />
        </button>
      ))}
    </fieldset>
  );
}
