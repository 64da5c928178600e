import { useEffect, useRef, useState } from 'preact/hooks';
import type { ChatMessage, Product, ReactionKind, Room, RoomSettings, RoomStatus } from './types.ts';

/** How many messages a page keeps (and so renders): a busy chat must not grow the DOM without end. */
export const MAX_MESSAGES = 300;
/** After the server closed the stream (a refused or expired token, a restart): open it again. */
const REOPEN_MS = 3000;

export interface RoomState {
  room: Room | null;
  messages: ChatMessage[];
  /** The event stream is open (a snapshot arrived since the last drop). */
  connected: boolean;
  /** The room answered 404: the playback id has no room (not a live stream). */
  missing: boolean;
  /** `viewer_banned` events, by viewer id: until (null: for good). */
  banned: Map<string, string | null>;
  /** When (epoch ms, this page's clock) the last `pinned` event was applied: the tests' measure. */
  pinnedAt: number | null;
}

export interface RoomHandlers {
  reactions?: (counts: Partial<Record<ReactionKind, number>>) => void;
}

/**
 * The room's event stream (`GET /v1/rooms/{playback_id}/events`): a snapshot, then messages,
 * deletions, pins, viewer counts, settings and status as they happen. A signed playback id's
 * token goes in the query (EventSource sends no headers); a stream the server closed is opened
 * again, with the token as it is by then.
 */
export function useRoom(
  playbackId: string,
  token: (() => string | null) | undefined,
  handlers: RoomHandlers = {},
): RoomState {
  const [state, setState] = useState<RoomState>({
    room: null,
    messages: [],
    connected: false,
    missing: false,
    banned: new Map(),
    pinnedAt: null,
  });
  const on = useRef(handlers);
  on.current = handlers;
  const tokenRef = useRef(token);
  tokenRef.current = token;

  useEffect(() => {
    let source: EventSource | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const patchRoom = (f: (r: Room) => Room) => setState((s) => (s.room ? { ...s, room: f(s.room) } : s));
    const open = () => {
      const t = tokenRef.current?.();
      const url = `/v1/rooms/${encodeURIComponent(playbackId)}/events${t ? `?token=${encodeURIComponent(t)}` : ''}`;
      const es = new EventSource(url);
      source = es;
      const listen = <T>(name: string, f: (data: T) => void) =>
        es.addEventListener(name, (m) => {
          try {
            f(JSON.parse((m as MessageEvent<string>).data) as T);
          } catch {
            // A malformed event is skipped; the next snapshot puts the page right.
          }
        });
      listen<{ room: Room; messages: ChatMessage[] }>('snapshot', ({ room, messages }) =>
        setState((s) => ({
          ...s,
          room,
          messages: messages.slice(-MAX_MESSAGES),
          connected: true,
          missing: false,
        })),
      );
      listen<ChatMessage>('message', (m) =>
        setState((s) =>
          s.messages.some((x) => x.id === m.id)
            ? s
            : { ...s, messages: [...s.messages, m].slice(-MAX_MESSAGES) },
        ),
      );
      listen<{ id: string }>('message_deleted', ({ id }) =>
        setState((s) => ({ ...s, messages: s.messages.filter((m) => m.id !== id) })),
      );
      listen<Product | null>('pinned', (pinned) => {
        patchRoom((r) => ({ ...r, pinned }));
        setState((s) => ({ ...s, pinnedAt: Date.now() }));
      });
      listen<{ count: number }>('viewers', ({ count }) => patchRoom((r) => ({ ...r, viewers: count })));
      listen<RoomSettings>('settings', (settings) => patchRoom((r) => ({ ...r, settings })));
      // The host moved the start time or changed the poster: the countdown follows.
      listen<{ scheduled_at: string | null; poster_url: string | null }>(
        'schedule',
        ({ scheduled_at, poster_url }) => patchRoom((r) => ({ ...r, scheduled_at, poster_url })),
      );
      listen<{ status: RoomStatus; started_at: string | null }>('status', ({ status, started_at }) =>
        patchRoom((r) => ({ ...r, status, started_at })),
      );
      listen<{ viewer_id: string; until: string | null }>('viewer_banned', ({ viewer_id, until }) =>
        setState((s) => ({ ...s, banned: new Map(s.banned).set(viewer_id, until) })),
      );
      listen<{ counts: Partial<Record<ReactionKind, number>> }>('reactions', ({ counts }) =>
        on.current.reactions?.(counts),
      );
      es.onerror = () => {
        if (es.readyState !== EventSource.CLOSED) {
          // EventSource reconnects by itself; the snapshot it gets then puts the state right.
          setState((s) => (s.connected ? { ...s, connected: false } : s));
          return;
        }
        setState((s) => ({ ...s, connected: false }));
        // Closed for good by the browser (an error status): is there a room at all?
        void fetch(`/v1/rooms/${encodeURIComponent(playbackId)}`, { method: 'HEAD' })
          .then((r) => r.status === 404 && setState((s) => ({ ...s, missing: true })))
          .catch(() => {});
        if (!stopped) timer = setTimeout(open, REOPEN_MS);
      };
    };
    open();
    return () => {
      stopped = true;
      clearTimeout(timer);
      source?.close();
    };
  }, [playbackId]);
  return state;
}
