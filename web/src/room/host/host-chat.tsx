import { useState } from 'preact/hooks';
import { api } from '../../api.ts';
import { formatSpan } from '../../i18n/format.ts';
import * as m from '../../i18n/generated/messages.js';
import { holdSubmitWhileComposing, isImeEnter } from '../../i18n/ime.ts';
import { ChatList } from '../chat-list.tsx';
import type { ChatMessage } from '../types.ts';
import { streamPath } from './host-types.ts';

/** The time-outs offered, in seconds (named in the page's language by formatSpan). */
const TIMEOUTS = [60, 600, 3600];

/**
 * The live chat as a moderator sees it: each viewer's message with delete, time-out and ban
 * (of its author), and a box to write as the host.
 */
export function HostChat(props: {
  streamId: string;
  messages: ChatMessage[];
  links: boolean;
  onBanned(): void;
}) {
  const [text, setText] = useState('');
  const [said, setSaid] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const act = async (what: () => Promise<unknown>, done: string) => {
    try {
      await what();
      setSaid(done);
    } catch (err) {
      setSaid((err as Error).message);
    }
  };
  const ban = (msg: ChatMessage, seconds: number | null) =>
    act(
      () =>
        api(streamPath(props.streamId, '/bans'), {
          method: 'POST',
          json: { viewer_id: msg.viewer_id, ...(seconds ? { duration_seconds: seconds } : {}) },
        }).then(props.onBanned),
      seconds ? m.room_host_timed_out({ name: msg.name }) : m.room_host_banned({ name: msg.name }),
    );
  return (
    <section class="panel host-chat" aria-labelledby="host-chat-heading">
      <h2 id="host-chat-heading">{m.room_chat_title()}</h2>
      <ChatList
        messages={props.messages}
        links={props.links}
        announce={false}
        label={m.room_host_chat_label()}
        empty={m.room_host_chat_empty()}
        actions={(msg) =>
          msg.viewer_id && (
            <>
              <button
                type="button"
                class="secondary"
                aria-label={m.room_host_delete_label({ name: msg.name })}
                onClick={() =>
                  act(
                    () => api(streamPath(props.streamId, `/chat/${msg.id}`), { method: 'DELETE' }),
                    m.room_host_deleted(),
                  )
                }
              >
                {m.room_delete()}
              </button>
              {TIMEOUTS.map((seconds) => (
                <button
                  key={seconds}
                  type="button"
                  class="secondary"
                  aria-label={m.room_host_timeout_label({ name: msg.name, span: formatSpan(seconds) })}
                  onClick={() => ban(msg, seconds)}
                >
                  {formatSpan(seconds)}
                </button>
              ))}
              <button
                type="button"
                class="danger"
                aria-label={m.room_host_ban_label({ name: msg.name })}
                onClick={() => confirm(m.room_host_ban_confirm({ name: msg.name })) && ban(msg, null)}
              >
                {m.room_host_ban()}
              </button>
            </>
          )
        }
      />
      <form
        class="chat-form host-send"
        onKeyDown={holdSubmitWhileComposing}
        onSubmit={async (e) => {
          e.preventDefault();
          const body = text.trim();
          if (!body) return;
          setBusy(true);
          await act(
            () => api(streamPath(props.streamId, '/chat'), { method: 'POST', json: { text: body } }),
            '',
          );
          setText('');
          setBusy(false);
        }}
      >
        <label class="visually-hidden" for="host-chat-text">
          {m.room_host_message_label()}
        </label>
        <input
          id="host-chat-text"
          value={text}
          maxLength={500}
          placeholder={m.room_host_message_label()}
          autoComplete="off"
          enterKeyHint="send"
          onKeyDown={(e) => {
            // Enter that ends an IME composition (Korean, Japanese…) picks a syllable; it does not send.
            if (e.key === 'Enter' && isImeEnter(e)) e.preventDefault();
          }}
          onInput={(e) => setText(e.currentTarget.value)}
        />
        <button type="submit" disabled={busy || !text.trim()}>
          {m.room_host_send()}
        </button>
      </form>
      {said && (
        <p role="status" class="host-said">
          {said}
        </p>
      )}
    </section>
  );
}
