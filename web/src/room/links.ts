/**
 * A chat message's text, always as text nodes (never HTML). Where the room allows links, http(s)
 * URLs become links that open in a new tab and pass no ranking or window handle to the target.
 * Hand-written rather than linkify-it: one pattern and `URL` are enough for http(s) only, and the
 * viewer page has a download budget.
 */
const URL_LIKE = /\bhttps?:\/\/[^\s<>"'`]+/gi;
/** Punctuation that ends a sentence rather than the URL. */
const TRAILING = /[.,;:!?)\]}]+$/;

export type TextPart = { text: string } | { text: string; href: string };

export function splitLinks(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let at = 0;
  for (const m of text.matchAll(URL_LIKE)) {
    const raw = m[0].replace(TRAILING, '');
    const start = m.index ?? 0;
    let href: string | null = null;
    try {
      const u = new URL(raw);
      if (u.protocol === 'http:' || u.protocol === 'https:') href = u.href;
    } catch {
      href = null;
    }
    if (!href || !raw) continue;
    if (start > at) parts.push({ text: text.slice(at, start) });
    parts.push({ text: raw, href });
    at = start + raw.length;
  }
  if (at < text.length) parts.push({ text: text.slice(at) });
  return parts;
}
