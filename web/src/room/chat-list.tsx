import type { ComponentChildren } from 'preact';
import { useLayoutEffect, useRef } from 'preact/hooks';
import * as m from '../i18n/generated/messages.js';
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
      {props.messages.length === 0 && <li class="chat-empty">{props.empty ?? m.room_chat_empty()}</li>}
      {props.messages.map((msg) => (
        <li key={msg.id} class={`chat-message chat-${msg.role}`} data-message-id={msg.id}>
          <span class="chat-name">
            {msg.name}
            {msg.role === 'host' && <span class="chat-host-tag"> {m.room_chat_host_tag()}</span>}
          </span>{' '}
          <span class="chat-text">
            <ChatText text={msg.text} links={props.links} />
          </span>
          {props.actions && <span class="chat-actions">{props.actions(msg)}</span>}
        </li>
      ))}
    </ol>
  );
}
