/**
 * Text people read that came from a client: titles and file names. It is stored and shown,
 * never joined into a path or an object key; still, a NUL would break PostgreSQL's text type
 * (a 500 on one database, a stored NUL on the other) and line breaks or escape codes would
 * reach log lines and terminals. Control characters (C0, DEL, C1) come out; the rest is trimmed
 * and capped; nothing left is null.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

export function displayText(value: string | null | undefined, max: number): string | null {
  if (!value) return null;
  const v = value.replace(CONTROL, '').trim();
  return v ? v.slice(0, max) : null;
}

/** A file name as people see it: its last path segment (clients may send a whole path), as display text. */
export function displayFilename(value: string | null | undefined, max: number): string | null {
  return displayText(value?.split(/[\\/]/).pop(), max);
}
