import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { formatNumber } from '../i18n/format.ts';
import * as m from '../i18n/generated/messages.js';
import { holdSubmitWhileComposing, isImeEnter } from '../i18n/ime.ts';
import { type Refusal, refusal, untilWords } from './chat-errors.ts';
import { ChatList } from './chat-list.tsx';
import { roomRequest } from './room-api.ts';
import type { ChatMessage, Room, Viewer } from './types.ts';
import { savedViewer, saveViewer } from './viewer-session.ts';

interface Props {
  playbackId: string;
  playbackToken: (() => string | null) | undefined;
  room: Room | null;
  messages: ChatMessage[];
  banned: Map<string, string | null>;
}

type Me = { kind: 'user'; name: string } | { kind: 'guest' };

/** The viewer's chat: the log, then joining (a nickname, or the signed-in account) and sending. */
export function ChatPanel(props: Props) {
  const [announce, setAnnounce] = useState(false);
  const links = props.room?.settings.links_allowed ?? false;
  return (
    <section class="chat" aria-labelledby="chat-heading">
      <div class="chat-head">
        <h2 id="chat-heading">{m.room_chat_title()}</h2>
        <label class="inline chat-announce">
          <input type="checkbox" checked={announce} onChange={(e) => setAnnounce(e.currentTarget.checked)} />
          {m.room_chat_announce()}
        </label>
      </div>
      <ChatList
        messages={props.messages}
        links={links}
        announce={announce}
        label={m.room_chat_messages_label()}
      />
      <Composer {...props} />
    </section>
  );
}

function Composer({ playbackId, playbackToken, room, banned }: Props) {
  const [viewer, setViewer] = useState<Viewer | null>(() => savedViewer(playbackId));
  const [me, setMe] = useState<Me | null>(null);
  const [nickname, setNickname] = useState('');
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [refused, setRefused] = useState<Refusal | null>(null);
  const [now, setNow] = useState(Date.now());

  // Signed in on this server (the session cookie)? Then the account's name is the chat name.
  useEffect(() => {
    if (viewer) return;
    void fetch('/v1/auth/get-session', { credentials: 'same-origin' })
      .then((r) => (r.ok ? (r.json() as Promise<{ user?: { name?: string } } | null>) : null))
      .then((s) =>
        setMe(s?.user ? { kind: 'user', name: s.user.name || m.room_chat_you() } : { kind: 'guest' }),
      )
      .catch(() => setMe({ kind: 'guest' }));
  }, [viewer]);

  // A countdown (slow mode, rate limit, time-out) ticks once a second while it runs.
  const waiting = refused?.kind === 'wait' && refused.until > now;
  const bannedUntil = viewer && banned.has(viewer.viewer_id) ? banned.get(viewer.viewer_id) : undefined;
  const ban =
    bannedUntil !== undefined
      ? { until: bannedUntil }
      : refused?.kind === 'banned'
        ? { until: refused.until }
        : null;
  const banOver = ban?.until != null && Date.parse(ban.until) <= now;
  useEffect(() => {
    if (!waiting && !(ban?.until && !banOver)) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [waiting, ban?.until, banOver]);

  const settings = room?.settings;
  const join = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      const r = await roomRequest<{ data: Viewer }>(`/v1/rooms/${encodeURIComponent(playbackId)}/viewers`, {
        method: 'POST',
        json: me?.kind === 'user' ? {} : { nickname: nickname.trim() },
        playbackToken,
      });
      saveViewer(playbackId, r.data);
      setViewer(r.data);
      setRefused(null);
    } catch (err) {
      setRefused(refusal(err));
    } finally {
      setBusy(false);
    }
  };
  const send = async (e: Event) => {
    e.preventDefault();
    const body = text.trim();
    if (!viewer || !body || busy) return;
    setBusy(true);
    try {
      await roomRequest(`/v1/rooms/${encodeURIComponent(playbackId)}/messages`, {
        method: 'POST',
        json: { text: body },
        playbackToken,
        viewerToken: viewer.viewer_token,
      });
      setText('');
      const slow = settings?.slow_mode_seconds ?? 0;
      // Slow mode: say how long before the next message rather than let it be refused.
      setRefused(slow > 0 ? { kind: 'wait', reason: 'slow', until: Date.now() + slow * 1000 } : null);
      setNow(Date.now());
    } catch (err) {
      const r = refusal(err);
      if (r.kind === 'rejoin') {
        saveViewer(playbackId, null);
        setViewer(null);
      }
      setRefused(r);
      setNow(Date.now());
    } finally {
      setBusy(false);
    }
  };

  let notice: ComponentChildren = null;
  if (ban && !banOver) notice = untilWords(ban.until);
  else if (settings?.paused) notice = m.room_chat_paused();
  else if (waiting && refused?.kind === 'wait') {
    const seconds = formatNumber(Math.ceil((refused.until - now) / 1000));
    notice =
      refused.reason === 'slow' ? m.room_chat_slow_wait({ seconds }) : m.room_chat_rate_wait({ seconds });
  } else if (refused?.kind === 'sign-in') notice = <SignInToChat />;
  else if (refused?.kind === 'rejoin') notice = m.room_chat_session_ended();
  else if (refused?.kind === 'message') notice = refused.text;
  const blocked = Boolean(ban && !banOver) || Boolean(settings?.paused);

  return (
    <div class="chat-compose">
      {notice && (
        <p class="chat-notice" role="status" data-refusal={refused?.kind ?? (blocked ? 'blocked' : '')}>
          {notice}
        </p>
      )}
      {!viewer ? (
        me === null ? null : me.kind === 'user' ? (
          <form onSubmit={join} class="chat-form">
            <button type="submit" disabled={busy}>
              {m.room_chat_join_as({ name: me.name })}
            </button>
          </form>
        ) : settings && !settings.guests_allowed ? (
          refused?.kind === 'sign-in' ? null : (
            <p class="chat-notice">
              <SignInToChat />
            </p>
          )
        ) : (
          <form onSubmit={join} onKeyDown={holdSubmitWhileComposing} class="chat-form">
            <label class="visually-hidden" for="chat-nickname">
              {m.room_chat_nickname()}
            </label>
            <input
              id="chat-nickname"
              value={nickname}
              maxLength={32}
              required
              placeholder={m.room_chat_nickname_placeholder()}
              autoComplete="nickname"
              onInput={(e) => setNickname(e.currentTarget.value)}
            />
            <button type="submit" disabled={busy || !nickname.trim()}>
              {m.room_chat_join()}
            </button>
          </form>
        )
      ) : (
        <form onSubmit={send} onKeyDown={holdSubmitWhileComposing} class="chat-form">
          <label class="visually-hidden" for="chat-text">
            {m.room_chat_message_as({ name: viewer.name })}
          </label>
          <input
            id="chat-text"
            value={text}
            maxLength={settings?.max_length ?? 200}
            placeholder={m.room_chat_message_as({ name: viewer.name })}
            autoComplete="off"
            disabled={blocked}
            enterKeyHint="send"
            onKeyDown={(e) => {
              // Enter that ends an IME composition (Korean, Japanese…) picks a syllable; it does not send.
              if (e.key === 'Enter' && isImeEnter(e)) e.preventDefault();
            }}
            onInput={(e) => setText(e.currentTarget.value)}
          />
          <button type="submit" disabled={blocked || busy || waiting || !text.trim()}>
            {m.room_chat_send()}
          </button>
        </form>
      )}
    </div>
  );
}

/** "This chat is for signed-in viewers. Sign in to chat.", the link in the sentence as each language places it. */
function SignInToChat() {
  return (
    <>
      {m.room_chat_signed_in_only()} <a href="/sign-in">{m.room_chat_sign_in()}</a>
      {m.room_chat_sign_in_after()}
    </>
  );
}
