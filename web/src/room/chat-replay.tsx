import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.ts';
import * as m from '../i18n/generated/messages.js';
import { ChatList } from './chat-list.tsx';
import type { ChatMessage } from './types.ts';
import { MAX_MESSAGES } from './use-room.ts';

/**
 * A recorded broadcast's chat beside its player: the messages sent up to the playhead, following
 * it as it plays and seeks. Renders the player alone when the recording has no chat.
 */
export function WithChatReplay({ assetId, children }: { assetId: string; children: ComponentChildren }) {
  const [messages, setMessages] = useState<ChatMessage[] | null>(null);
  const [time, setTime] = useState(0);
  const wrap = useRef<HTMLDivElement>(null);
  useEffect(() => {
    void api<{ data: ChatMessage[] }>(`/v1/assets/${assetId}/chat`)
      .then((r) => setMessages(r.data.filter((msg) => msg.offset_seconds !== null)))
      .catch(() => setMessages(null)); // not a recording, or no chat
  }, [assetId]);
  useEffect(() => {
    const el = wrap.current;
    if (!el || !messages?.length) return;
    // Media events do not bubble: listen in the capture phase for the player's own <video>.
    const on = (e: Event) => {
      if (e.target instanceof HTMLMediaElement) setTime(e.target.currentTime);
    };
    for (const type of ['timeupdate', 'seeked', 'loadedmetadata']) el.addEventListener(type, on, true);
    return () => {
      for (const type of ['timeupdate', 'seeked', 'loadedmetadata']) el.removeEventListener(type, on, true);
    };
  }, [messages]);
  if (!messages?.length) return <>{children}</>;
  const shown = messages.filter((msg) => (msg.offset_seconds ?? 0) <= time).slice(-MAX_MESSAGES);
  return (
    <div class="with-replay">
      <div ref={wrap} class="with-replay-player">
        {children}
      </div>
      <section class="panel chat-replay" aria-labelledby="replay-heading" data-shown={shown.length}>
        <h2 id="replay-heading">{m.room_replay_title()}</h2>
        <ChatList
          messages={shown}
          links={false}
          announce={false}
          label={m.room_replay_title()}
          empty={m.room_replay_empty()}
        />
      </section>
    </div>
  );
}
