import type { ComponentChildren } from 'preact';
import { useLayoutEffect, useRef } from 'preact/hooks';
import { ChatText } from './chat-text.tsx';
import type { ChatMessage } from './types.ts';

/** Closer to the bottom than this (px): the list follows new messages; further up, the reader is left alone. */
const STICK_PX = 48;

/**
 * The chat as a log: names and texts as text, the host's messages marked. New messages are read
 * out by screen readers only when the viewer asked for it (`announce`): a busy chat read aloud
 * line by line would drown the page.
 */
export function ChatList(props: {
  messages: ChatMessage[];
  links: boolean;
  announce: boolean;
  label: string;
  /** Per message (the host page: delete, time-out, ban). */
  actions?: (m: ChatMessage) => ComponentChildren;
  empty?: string;
}) {
  const ref = useRef<HTMLOListElement>(null);
  const stick = useRef(true);
  useLayoutEffect(() => {
    const el = ref.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [props.messages]);
  return (
    <ol
      ref={ref}
      class="chat-list"
      role="log"
      aria-label={props.label}
      aria-live={props.announce ? 'polite' : 'off'}
      aria-relevant="additions"
      // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard to scroll it
      tabIndex={0}
      onScroll={(e) => {
        const el = e.currentTarget;
        stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < STICK_PX;
      }}
    >
      {props.messages.length === 0 && <li class="chat-empty">{props.empty ?? 'No messages yet.'}</li>}
      {props.messages.map((m) => (
        <li key={m.id} class={`chat-message chat-${m.role}`} data-message-id={m.id}>
          <span class="chat-name">
            {m.name}
            {m.role === 'host' && <span class="chat-host-tag"> Host</span>}
          </span>{' '}
          <span class="chat-text">
            <ChatText text={m.text} links={props.links} />
          </span>
          {props.actions && <span class="chat-actions">{props.actions(m)}</span>}
        </li>
      ))}
    </ol>
  );
}
