import { AppError } from '../../shared/errors.ts';

/**
 * What the chat accepts as text. Text is stored and sent as plain text (pages render it as text,
 * never HTML), so markup needs no escaping here; what is refused is what would disturb a page
 * or the people reading it: control characters (line breaks included: one message, one line)
 * and the bidirectional overrides that make text read backwards.
 */
const FORBIDDEN = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/u;

export const NICKNAME_MAX = 32;
export const MESSAGE_MAX_LIMIT = 500;

/** Length as people count it: code points, not UTF-16 units (an emoji is one). */
export const lengthOf = (text: string): number => [...text].length;

/** The message's text, NFC and trimmed, or FH_ERR_CHAT_MESSAGE_INVALID saying why not. */
export function cleanMessage(raw: unknown, maxLength: number): string {
  if (typeof raw !== 'string') throw new AppError('FH_ERR_CHAT_MESSAGE_INVALID', 'The message must be text.');
  const text = raw.normalize('NFC').trim();
  if (!text) throw new AppError('FH_ERR_CHAT_MESSAGE_INVALID', 'The message is empty.');
  if (FORBIDDEN.test(text))
    throw new AppError('FH_ERR_CHAT_MESSAGE_INVALID', 'The message has control characters.');
  const length = lengthOf(text);
  if (length > maxLength)
    throw new AppError(
      'FH_ERR_CHAT_MESSAGE_INVALID',
      `The message is ${length} characters long: this room takes at most ${maxLength}.`,
      { max_length: maxLength },
    );
  return text;
}

/** A guest's nickname, NFC and trimmed, 1–32 characters, or FH_ERR_CHAT_NICKNAME_INVALID. */
export function cleanNickname(raw: unknown): string {
  const name = typeof raw === 'string' ? raw.normalize('NFC').trim() : '';
  if (!name || lengthOf(name) > NICKNAME_MAX || FORBIDDEN.test(name))
    throw new AppError('FH_ERR_CHAT_NICKNAME_INVALID');
  return name;
}

const FORBIDDEN_ALL = new RegExp(FORBIDDEN.source, 'gu');

/** `raw` NFC, without control and bidi-override characters, trimmed, cut to 32 code points. */
function tidyName(raw: string | null | undefined): string {
  const text = (raw ?? '').normalize('NFC').replace(FORBIDDEN_ALL, '').trim();
  // Code points, so an emoji (a surrogate pair) is never cut in half.
  return [...text].slice(0, NICKNAME_MAX).join('').trim();
}

/**
 * A signed-in viewer's name in the chat, made on every join from the account's name (cleaned as a
 * nickname, but never refused: what a nickname may not hold is removed, what is too long cut).
 * An account name left empty falls back to the e-mail's local part, then to `viewer`.
 */
export function accountChatName(
  accountName: string | null | undefined,
  email: string | null | undefined,
): string {
  return tidyName(accountName) || tidyName(email?.split('@')[0]) || 'viewer';
}
