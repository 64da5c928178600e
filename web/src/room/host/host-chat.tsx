import { useState } from 'preact/hooks';
import { api } from '../../api.ts';
import { ChatList } from '../chat-list.tsx';
import type { ChatMessage } from '../types.ts';
import { streamPath } from './host-types.ts';

const TIMEOUTS = [
  { seconds: 60, label: '1 min' },
  { seconds: 600, label: '10 min' },
  { seconds: 3600, label: '1 h' },
];

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
  const ban = (m: ChatMessage, seconds: number | null) =>
    act(
      () =>
        api(streamPath(props.streamId, '/bans'), {
          method: 'POST',
          json: { viewer_id: m.viewer_id, ...(seconds ? { duration_seconds: seconds } : {}) },
        }).then(props.onBanned),
      seconds ? `${m.name} is timed out.` : `${m.name} is banned.`,
    );
  return (
    <section class="panel host-chat" aria-labelledby="host-chat-heading">
      <h2 id="host-chat-heading">Chat</h2>
      <ChatList
        messages={props.messages}
        links={props.links}
        announce={false}
        label="Live chat"
        empty="No messages yet. Viewers' messages appear here as they are sent."
        actions={(m) =>
          m.viewer_id && (
            <>
              <button
                type="button"
                class="secondary"
                aria-label={`Delete the message from ${m.name}`}
                onClick={() =>
                  act(
                    () => api(streamPath(props.streamId, `/chat/${m.id}`), { method: 'DELETE' }),
                    'Message deleted.',
                  )
                }
              >
                Delete
              </button>
              {TIMEOUTS.map((t) => (
                <button
                  key={t.seconds}
                  type="button"
                  class="secondary"
                  aria-label={`Time out ${m.name} for ${t.label}`}
                  onClick={() => ban(m, t.seconds)}
                >
                  {t.label}
                </button>
              ))}
              <button
                type="button"
                class="danger"
                aria-label={`Ban ${m.name}`}
                onClick={() => confirm(`Ban ${m.name} from this chat?`) && ban(m, null)}
              >
                Ban
              </button>
            </>
          )
        }
      />
      <form
        class="chat-form host-send"
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
          Message as the host
        </label>
        <input
          id="host-chat-text"
          value={text}
          maxLength={500}
          placeholder="Message as the host"
          autoComplete="off"
          onInput={(e) => setText(e.currentTarget.value)}
        />
        <button type="submit" disabled={busy || !text.trim()}>
          Send as host
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
