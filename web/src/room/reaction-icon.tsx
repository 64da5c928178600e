import type { ComponentChildren } from 'preact';
import type { ReactionKind } from './types.ts';

/**
 * The reactions as small inline drawings rather than emoji: emoji depend on the device's fonts
 * (a machine without a colour emoji font shows empty boxes), these look the same everywhere.
 */
export function ReactionIcon({ kind }: { kind: ReactionKind }) {
  return (
    <svg
      class="reaction-icon"
      viewBox="0 0 24 24"
      width="24"
      height="24"
      aria-hidden="true"
      focusable="false"
    >
      {DRAWINGS[kind]}
    </svg>
  );
}

const face = (mouth: ComponentChildren, eyes: ComponentChildren) => (
  <>
    <circle cx="12" cy="12" r="10" fill="#fbbf24" stroke="#b45309" stroke-width="1" />
    {eyes}
    {mouth}
  </>
);

const DRAWINGS: Record<ReactionKind, ComponentChildren> = {
  heart: (
    <path
      d="M12 21s-7.5-4.6-9.6-9.2C.9 8.3 3.2 4 7.1 4c2.1 0 3.6 1.1 4.9 2.9C13.3 5.1 14.8 4 16.9 4c3.9 0 6.2 4.3 4.7 7.8C19.5 16.4 12 21 12 21z"
      fill="#ef4444"
    />
  ),
  fire: (
    <>
      <path
        d="M12 2c.8 3.8 5.8 6.3 5.8 11.4A5.8 5.8 0 0 1 6.2 13.4c0-3 1.7-4.6 2.4-7 1.6 1.3 2 3 2 4.6C12 9 12.6 5.6 12 2z"
        fill="#f97316"
      />
      <path
        d="M12 12.5c.4 1.7 2.6 2.8 2.6 5.1a2.6 2.6 0 0 1-5.2 0c0-1.5.8-2.2 1.2-3.3.7.6.9 1.3.9 2 .6-1 .8-2.3.5-3.8z"
        fill="#fde047"
      />
    </>
  ),
  clap: (
    <>
      <rect
        x="5"
        y="8"
        width="7"
        height="13"
        rx="3.5"
        transform="rotate(-18 8.5 14.5)"
        fill="#fbbf24"
        stroke="#b45309"
      />
      <rect
        x="11"
        y="8"
        width="7"
        height="13"
        rx="3.5"
        transform="rotate(18 14.5 14.5)"
        fill="#fcd34d"
        stroke="#b45309"
      />
      <path
        d="M12 2v3M7.5 3.5l1.3 2.3M16.5 3.5l-1.3 2.3"
        stroke="#f59e0b"
        stroke-width="1.6"
        stroke-linecap="round"
      />
    </>
  ),
  laugh: face(
    <path d="M6.5 13h11a5.5 5.5 0 0 1-11 0z" fill="#7c2d12" />,
    <path
      d="M7 9.5q1.5-2 3 0M14 9.5q1.5-2 3 0"
      stroke="#7c2d12"
      stroke-width="1.5"
      fill="none"
      stroke-linecap="round"
    />,
  ),
  wow: face(
    <ellipse cx="12" cy="16" rx="2.2" ry="2.8" fill="#7c2d12" />,
    <>
      <circle cx="8.5" cy="9.5" r="1.4" fill="#7c2d12" />
      <circle cx="15.5" cy="9.5" r="1.4" fill="#7c2d12" />
    </>,
  ),
};
