import { formatTime } from '../i18n/format.ts';
import * as m from '../i18n/generated/messages.js';
import { RoomError } from './room-api.ts';

export type Refusal =
  | { kind: 'wait'; reason: 'slow' | 'rate'; until: number }
  | { kind: 'banned'; until: string | null }
  | { kind: 'sign-in' }
  | { kind: 'rejoin' }
  | { kind: 'message'; text: string };

/** What a refused join or send means for the page, from the error's code. */
export function refusal(err: unknown): Refusal {
  if (!(err instanceof RoomError)) return { kind: 'message', text: (err as Error).message };
  switch (err.code) {
    case 'FH_ERR_CHAT_SLOW_MODE':
    case 'FH_ERR_CHAT_RATE_LIMITED':
      return {
        kind: 'wait',
        reason: err.code === 'FH_ERR_CHAT_SLOW_MODE' ? 'slow' : 'rate',
        until: Date.now() + (err.retryAfter ?? 5) * 1000,
      };
    case 'FH_ERR_CHAT_BANNED':
      return { kind: 'banned', until: typeof err.details?.until === 'string' ? err.details.until : null };
    case 'FH_ERR_CHAT_SIGN_IN_REQUIRED':
      return { kind: 'sign-in' };
    case 'FH_ERR_CHAT_VIEWER_REQUIRED':
      return { kind: 'rejoin' };
    case 'FH_ERR_CHAT_PAUSED':
      return { kind: 'message', text: m.room_chat_paused() };
    case 'FH_ERR_CHAT_MESSAGE_INVALID':
      return { kind: 'message', text: m.room_chat_invalid({ reason: err.message }) };
    default:
      return { kind: 'message', text: err.message };
  }
}

/** A time-out's end in the viewer's words. */
export const untilWords = (until: string | null) =>
  until ? m.room_chat_timed_out_until({ time: formatTime(until) }) : m.room_chat_removed();
